"""Loads reranker folders embtune wrote with the real Python libraries and scores pairs with them.

    python load_rerankers.py JOB.json

JOB: {"pairs": [[q, d], ...], "cross_encoder": [folder, ...], "peft": [[base, adapter], ...], "causal_lm": [folder, ...],
     "peft_causal_lm": [[base, adapter], ...]}
Prints one JSON object: {folder or "peft:adapter": raw logits}. sentence-transformers' CrossEncoder loads full
checkpoints and LoRA adapter folders as they are (the adapter's classifier from modules_to_save); peft puts an
adapter on AutoModelForSequenceClassification; a causal LM scores Qwen3-Reranker's prompt by yes minus no.
"""
import json
import sys
from pathlib import Path

import torch
from peft import PeftModel
from sentence_transformers import CrossEncoder
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixtures"))
import rerank  # noqa: E402  (Qwen3-Reranker's prompt and the yes/no logit, as the fixtures compute them)

job = json.load(open(sys.argv[1]))
pairs, out = [tuple(p) for p in job["pairs"]], {}
for folder in job.get("cross_encoder", []):
    out[folder] = CrossEncoder(folder, device="cpu").predict(pairs, activation_fn=torch.nn.Identity()).tolist()
for base, adapter in job.get("peft", []):
    tok = AutoTokenizer.from_pretrained(base)
    batch = tok([p[0] for p in pairs], [p[1] for p in pairs], padding=True, truncation=True, return_tensors="pt")
    model = PeftModel.from_pretrained(AutoModelForSequenceClassification.from_pretrained(base), adapter).eval()
    with torch.no_grad():
        out["peft:" + adapter] = model(**batch).logits.squeeze(-1).tolist()
for folder in job.get("causal_lm", []):
    out[folder] = rerank.qwen3_scores(Path(folder), pairs)["logits"]
for base, adapter in job.get("peft_causal_lm", []):
    tok = AutoTokenizer.from_pretrained(base)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), adapter).eval()
    with torch.no_grad():
        out["peft:" + adapter] = rerank.qwen3_logit(model, tok, rerank.qwen3_encode(tok, pairs))[0].tolist()
print(json.dumps(out))
