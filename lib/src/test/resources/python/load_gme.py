"""Loads GME (Qwen2-VL) folders embtune wrote with transformers (and peft) and embeds items with the GME recipe.

    python load_gme.py JOB.json

JOB: {"items": [{"text": ..., "image": absolute path}, ...], "fixtures": folder holding gme.py,
      "models": [folder, ...], "peft": [[base, adapter], ...]}
Prints one JSON object: {folder or "peft:adapter": embeddings}. Each folder loads as
Qwen2VLForConditionalGeneration; the recipe (prompt, processor, M-RoPE forward, last token, L2) is
the fixture generator's.
"""
import json
import sys
from pathlib import Path

import torch

job = json.load(open(sys.argv[1]))
sys.path.insert(0, job["fixtures"])
import gme  # noqa: E402
from peft import PeftModel  # noqa: E402
from transformers import Qwen2VLForConditionalGeneration  # noqa: E402

out = {}
for folder in job.get("models", []):
    model = Qwen2VLForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    with torch.no_grad():
        out[folder] = gme.embed(model, gme.encode(Path(folder), job["items"])).tolist()
for base, adapter in job.get("peft", []):
    model = Qwen2VLForConditionalGeneration.from_pretrained(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, adapter).eval()
    with torch.no_grad():
        out["peft:" + adapter] = gme.embed(model.base_model.model, gme.encode(Path(base), job["items"])).tolist()
print(json.dumps(out))
