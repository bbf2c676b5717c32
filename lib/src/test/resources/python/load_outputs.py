"""Loads folders embtune wrote with the real Python libraries and embeds texts with them.

    python load_outputs.py JOB.json

JOB: {"texts": [...], "sentence_transformers": [folder, ...], "peft": [[base, adapter], ...]}
Prints one JSON object: {folder or "peft:adapter": embeddings}. sentence-transformers loads full
model folders, merged exports and LoRA checkpoint folders as they are; peft puts an adapter on
its base with PeftModel.from_pretrained.
"""
import json
import sys

import torch
from peft import PeftModel
from sentence_transformers import SentenceTransformer

job = json.load(open(sys.argv[1]))
texts, out = job["texts"], {}
for folder in job.get("sentence_transformers", []):
    out[folder] = SentenceTransformer(folder, device="cpu").encode(texts, convert_to_numpy=True).tolist()
for base, adapter in job.get("peft", []):
    model = SentenceTransformer(base, device="cpu")
    model[0].model = PeftModel.from_pretrained(model[0].model, adapter).eval()
    with torch.no_grad():
        out["peft:" + adapter] = model.encode(texts, convert_to_numpy=True).tolist()
print(json.dumps(out))
