"""The PyTorch side of bench/cpu_vs_pytorch.java: the same workload in transformers / sentence-transformers.

    python pytorch_peer.py WORKLOAD STEPS WARMUP [MODEL_DIR] [PRECISION]

PRECISION fp32 (default) or bf16: the forward pass under torch.autocast("cpu", dtype=torch.bfloat16), what
transformers' Trainer does with --bf16 on a CPU (fp32 weights, gradients and AdamW state; the loss in fp32).

Training workloads: random weights, AdamW (fused, as transformers picks it), global-norm clipping, sdpa attention,
random token ids of the workload's length (as embtune's side uses). Embedding workloads: SentenceTransformer.encode
over 640 real STS-B sentences with the model folder embtune imported (same weights, same texts), and a random
Qwen3-shaped model over random ids; the median of five passes. Prints one JSON line.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(os.cpu_count())
torch.manual_seed(0)

QWEN3_2L = dict(hidden_size=1024, num_hidden_layers=2, num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                intermediate_size=3072, vocab_size=151669, max_position_embeddings=32768, rms_norm_eps=1e-6)
MINILM = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536, vocab_size=30522)
TRAIN = {  # id: (family, loss, pairs, tokens, lora)
    "minilm-cosine-64x32": ("bert", "cosine", 64, 32, False),
    "qwen3-2layers-infonce-32x128-full": ("qwen3", "infonce", 32, 128, False),
    "qwen3-2layers-infonce-32x128-lora-r8": ("qwen3", "infonce", 32, 128, True),
    # long texts: the [B, H, T, T] scores dominate; sdpa runs torch's fused CPU flash kernel
    "minilm-cosine-8x512": ("bert", "cosine", 8, 512, False),
    "qwen3-2layers-infonce-8x512-full": ("qwen3", "infonce", 8, 512, False),
    "qwen3-2layers-infonce-8x512-lora-r8": ("qwen3", "infonce", 8, 512, True),
    "qwen3-2layers-infonce-8x1024-full": ("qwen3", "infonce", 8, 1024, False),
    "qwen3-2layers-infonce-8x1024-lora-r8": ("qwen3", "infonce", 8, 1024, True),
}
BF16 = False  # set from argv: autocast the forward passes


def model_for(family, lora):
    from transformers import BertConfig, BertModel, Qwen3Config, Qwen3Model
    if family == "bert":
        m = BertModel(BertConfig(**MINILM), add_pooling_layer=False)
    else:
        m = Qwen3Model(Qwen3Config(**QWEN3_2L))
    m.config._attn_implementation = "sdpa"
    if lora:
        from peft import LoraConfig, get_peft_model
        m = get_peft_model(m, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0,
                                         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    return m.train()


def embed(m, family, ids, mask):
    h = m(input_ids=ids, attention_mask=mask).last_hidden_state
    pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True) if family == "bert" else h[:, -1]
    return F.normalize(pooled, dim=-1)


def autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16)


def train(workload, steps, warmup):
    family, loss_kind, pairs, tokens, lora = TRAIN[workload]
    m = model_for(family, lora)
    params = [p for p in m.parameters() if p.requires_grad]
    # fused=True: what transformers' Trainer (so sentence-transformers' too) picks by default on torch >= 2.8, CPU
    # included, and the kernel embtune's AdamW runs: the comparison is of everything else
    opt = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, fused=True)
    vocab = MINILM["vocab_size"] if family == "bert" else QWEN3_2L["vocab_size"]
    times = []
    for s in range(-warmup, steps):
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(s + 1000)
        ids = torch.randint(1000, vocab, (2 * pairs, tokens), generator=g)
        mask = torch.ones_like(ids)
        with autocast():
            e = embed(m, family, ids, mask)
        e = e.float()
        u, v = e[0::2], e[1::2]
        if loss_kind == "cosine":
            loss = F.mse_loss((u * v).sum(-1), torch.rand(pairs, generator=g))
        else:
            loss = F.cross_entropy(u @ v.T / 0.1, torch.arange(pairs))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if s >= 0:
            times.append(time.perf_counter() - t0)
    step_s = sorted(times)[steps // 2]  # the median step, as the Java side
    return {"pairs_per_s": round(pairs / step_s, 3), "step_s": round(step_s, 4), "loss": round(loss.item(), 5)}


PASSES = 5  # the median of five timed passes after a warm-up pass, as the Java side


def median_rate(n, run):
    run()  # warm-up: one whole pass
    rates = []
    for _ in range(PASSES):
        t0 = time.perf_counter()
        run()
        rates.append(n / (time.perf_counter() - t0))
    return round(sorted(rates)[PASSES // 2], 2)


def encode(workload, model_dir):
    if "qwen3" in workload:  # random weights, 256 x 128 random token ids in batches of 32, last token, L2
        m = model_for("qwen3", False).eval()
        g = torch.Generator().manual_seed(7)
        ids = torch.randint(1000, QWEN3_2L["vocab_size"], (256, 128), generator=g)

        def run():
            with torch.inference_mode(), autocast():
                for b in ids.split(32):
                    embed(m, "qwen3", b, torch.ones_like(b)).numpy()
        return {"sentences_per_s": median_rate(len(ids), run), "sentences": len(ids)}
    from sentence_transformers import SentenceTransformer
    texts = [json.loads(l)["query"] for l in open(os.path.join(os.path.dirname(__file__), "..", "datasets", "stsb-test.jsonl"))]
    texts = texts[: 64 * 10]
    m = SentenceTransformer(model_dir, device="cpu")
    def run():
        with autocast():
            m.encode(texts, batch_size=64)
    return {"sentences_per_s": median_rate(len(texts), run), "sentences": len(texts)}


if __name__ == "__main__":
    workload, steps, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    BF16 = len(sys.argv) > 5 and sys.argv[5] == "bf16"
    out = train(workload, steps, warmup) if workload in TRAIN else encode(workload, sys.argv[4])
    out["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20, 2)
    out["torch"] = torch.__version__
    out["precision"] = "bf16" if BF16 else "fp32"
    print(json.dumps(out))
