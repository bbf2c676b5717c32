"""Mines hard negatives with sentence-transformers' mine_hard_negatives, for embtune's parity test.

    python mine_negatives.py JOB.json

JOB: {"model": folder, "queries": [...], "positives": [...], "corpus": [...] or null, "reranker": folder (optional),
      "runs": [{"name": ..., mine_hard_negatives keyword arguments...}, ...]}
Prints one JSON object: {name: [row, ...]}, each row {"query", "positive", "negative", "scores"} (triplet
format with output_scores=True), in sentence-transformers' order.
"""
import contextlib
import json
import sys
import tempfile

from datasets import Dataset
from sentence_transformers import CrossEncoder, SentenceTransformer
from sentence_transformers.util import mine_hard_negatives

job = json.load(open(sys.argv[1]))
model = SentenceTransformer(job["model"], device="cpu")
cross_encoder = CrossEncoder(job["reranker"], device="cpu") if job.get("reranker") else None
pairs = Dataset.from_dict({"query": job["queries"], "positive": job["positives"]})
out = {}
cache = tempfile.mkdtemp()  # every run mines from the same embeddings: compute them once
for run in job["runs"]:
    kwargs = {k: v for k, v in run.items() if k != "name"}
    with contextlib.redirect_stdout(sys.stderr):  # it prints notes even with verbose=False; stdout is for the answer
        mined = mine_hard_negatives(pairs, model, corpus=job.get("corpus"), output_format="triplet", output_scores=True,
                                    verbose=False, cache_folder=cache, cross_encoder=cross_encoder, **kwargs)
    out[run["name"]] = [{"query": r["query"], "positive": r["positive"], "negative": r["negative"], "scores": r["scores"]}
                        for r in mined]
print(json.dumps(out))
