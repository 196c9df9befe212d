"""Correct answers to lab 10 written another way than the model solution. Each must earn every point of the test
cells it names (the mirror of tests/faults/lab10.py)."""

from labs.qa.faults import alternative

GEN, GEN_T = "lab10-generate", ("lab10-generate-tests",)
SDPA, SDPA_T = "lab10-sdpa", ("lab10-sdpa-tests",)
CAUSAL, CAUSAL_T = "lab10-causal-mask", ("lab10-causal-mask-tests",)
MHA, MHA_T = "lab10-multi-head-attention", ("lab10-multi-head-attention-tests",)
PE, PE_T = "lab10-sinusoidal-positions", ("lab10-sinusoidal-positions-tests",)

ALTERNATIVES = [
    alternative("generate-list-of-steps", GEN, GEN_T, source='''def generate(model, prompts, n):
    tokens, new = prompts, []
    with torch.no_grad():
        for _ in range(n):
            step = model(tokens)[:, -1].argmax(-1, keepdim=True)
            new.append(step)
            tokens = torch.cat([tokens, step], dim=1)
    return torch.cat(new, dim=1)
''', why="collects the steps in a list and concatenates them at the end"),
    alternative("generate-decorator-inference-mode", GEN, GEN_T, source='''@torch.inference_mode()
def generate(model, prompts, n):
    out = torch.empty(prompts.shape[0], n, dtype=torch.long)
    tokens = prompts
    for t in range(n):
        out[:, t] = model(tokens)[:, -1].argmax(dim=-1)
        tokens = torch.cat([prompts, out[:, :t + 1]], dim=1)
    return out
''', why="torch.inference_mode() as a decorator, and a preallocated output"),
    alternative("sdpa-where-nan-to-zero", SDPA, SDPA_T, source='''def scaled_dot_product_attention(q, k, v, mask=None):
    scores = torch.matmul(q, k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, float("-inf"))) if mask.dtype == torch.bool else scores + mask
    shifted = scores - scores.amax(dim=-1, keepdim=True).clamp_min(torch.finfo(scores.dtype).min)
    e = torch.exp(shifted)
    total = e.sum(dim=-1, keepdim=True)
    weights = e / torch.where(total > 0, total, torch.ones_like(total))  # a row that sees nothing: 0 / 1
    return weights @ v, weights
''', why="the softmax written out, with rows that see nothing given all-zero weights"),
    alternative("causal-triu-not", CAUSAL, CAUSAL_T, source='''def causal_mask(n):
    return ~torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
''', why="the complement of the strictly upper triangle"),
    alternative("mha-one-projection", MHA, MHA_T,
                replace=(("        def split(x):  # (B, L, d_model) -> (B, H, L, d_head)\n"
                          "            return x.reshape(x.shape[0], x.shape[1], self.n_heads, self.d_head).transpose(1, 2)",
                          "        def split(x):  # (B, L, d_model) -> (B, H, L, d_head)\n"
                          "            return x.unflatten(-1, (self.n_heads, self.d_head)).permute(0, 2, 1, 3)"),
                         ("        merged = heads.transpose(1, 2).reshape(query.shape[0], query.shape[1], self.n_heads * self.d_head)",
                          "        merged = heads.permute(0, 2, 1, 3).flatten(-2)")),
                why="unflatten and permute for the heads, flatten to merge them"),
    alternative("positions-stack-interleave", PE, PE_T, source='''def sinusoidal_positions(n, d):
    if d % 2:
        raise ValueError("d must be even")
    position = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = position * frequency
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1).to(torch.float32)
''', why="frequencies by exp and log, sines and cosines interleaved by stack and flatten"),
]
