"""Plausible wrong answers to lab 10. Each must lose the points of the test cells it names."""

from labs.qa.faults import Fault

SDPA, SDPA_T = "lab10-sdpa", ("lab10-sdpa-tests",)
CAUSAL, CAUSAL_T = "lab10-causal-mask", ("lab10-causal-mask-tests",)
MHA, MHA_T = "lab10-multi-head-attention", ("lab10-multi-head-attention-tests",)

FAULTS = [
    # scaled_dot_product_attention
    Fault("sdpa-no-scale", SDPA, SDPA_T, replace=((" / math.sqrt(q.shape[-1])", ""),),
          why="forgets to divide the scores by sqrt(d)"),
    Fault("sdpa-scale-by-d", SDPA, SDPA_T, replace=(("/ math.sqrt(q.shape[-1])", "/ q.shape[-1]"),),
          why="divides by d instead of sqrt(d)"),
    Fault("sdpa-scale-by-value-size", SDPA, SDPA_T, replace=(("/ math.sqrt(q.shape[-1])", "/ math.sqrt(v.shape[-1])"),),
          why="takes d from the values, not the queries and keys"),
    Fault("sdpa-softmax-over-queries", SDPA, SDPA_T,
          replace=(("torch.softmax(scores.masked_fill(empty, 0.0), dim=-1)", "torch.softmax(scores.masked_fill(empty, 0.0), dim=-2)"),),
          why="softmax over the queries (columns) instead of the keys"),
    Fault("sdpa-mask-inverted", SDPA, SDPA_T, replace=(("scores.masked_fill(~mask, float(\"-inf\"))", "scores.masked_fill(mask, float(\"-inf\"))"),),
          why="removes the pairs the mask allows (PyTorch's nn.MultiheadAttention convention)"),
    Fault("sdpa-mask-after-softmax", SDPA, SDPA_T,
          source='''def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None and mask.dtype != torch.bool:
        scores = scores + mask
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    if mask is not None and mask.dtype == torch.bool:
        weights = weights * mask
    return weights @ v, weights
''', why="zeroes masked weights after the softmax: the rows no longer sum to one"),
    Fault("sdpa-nan-on-empty-rows", SDPA, SDPA_T,
          replace=(("    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)\n"
                    "    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)\n",
                    "    weights = torch.softmax(scores, dim=-1)\n"),),
          why="a plain softmax: nan for a query with nothing to attend to"),
    Fault("sdpa-large-negative-not-inf", SDPA, SDPA_T,
          replace=(("scores.masked_fill(~mask, float(\"-inf\"))", "scores.masked_fill(~mask, -1e9)"),),
          why="masks with -1e9: an empty row attends uniformly to everything instead of returning zeros"),
    Fault("sdpa-ignores-float-mask", SDPA, SDPA_T, replace=(("            scores = scores + mask\n", "            pass\n"),),
          why="handles boolean masks only"),
    Fault("sdpa-transpose-2d-only", SDPA, SDPA_T, replace=(("q @ k.transpose(-2, -1)", "q @ k.transpose(0, 1)"),),
          why="transposes the first two dimensions of k, right only for 2-D inputs"),
    Fault("sdpa-calls-torch", SDPA, SDPA_T,
          source='''def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1).masked_fill(empty, 0.0)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), weights
''', why="calls the forbidden F.scaled_dot_product_attention for the output"),
    # causal_mask
    Fault("causal-mask-strict", CAUSAL, CAUSAL_T, replace=((".tril()", ".tril(-1)"),),
          why="excludes the diagonal: a position may not read itself"),
    Fault("causal-mask-upper", CAUSAL, CAUSAL_T, replace=((".tril()", ".triu()"),),
          why="upper-triangular: every position reads the future"),
    Fault("causal-mask-inverted", CAUSAL, CAUSAL_T, replace=((".tril()", ".triu(1)"),),
          why="True where attention is forbidden (the nn.MultiheadAttention convention)"),
    Fault("causal-mask-float", CAUSAL, CAUSAL_T, replace=(("torch.ones(n, n, dtype=torch.bool).tril()", "torch.ones(n, n).tril()"),),
          why="a float mask of ones and zeros: added to the scores, it masks nothing"),
    # MultiHeadAttention
    Fault("mha-split-without-transpose", MHA, MHA_T,
          replace=(("return x.reshape(x.shape[0], x.shape[1], self.n_heads, self.d_head).transpose(1, 2)",
                    "return x.reshape(x.shape[0], self.n_heads, x.shape[1], self.d_head)"),),
          why="reshapes (B, L, d) straight into (B, H, L, d_head): heads mix positions"),
    Fault("mha-merge-without-transpose", MHA, MHA_T,
          replace=(("heads.transpose(1, 2).reshape(", "heads.reshape("),),
          why="merges (B, H, L, d_head) into (B, L, d) without transposing back"),
    Fault("mha-no-output-projection", MHA, MHA_T, replace=(("return self.out_proj(merged), weights", "return merged, weights"),),
          why="forgets the output projection"),
    Fault("mha-value-from-key-projection", MHA, MHA_T, replace=(("split(self.v_proj(value))", "split(self.k_proj(value))"),),
          why="projects the values with the key projection"),
    Fault("mha-keys-from-query", MHA, MHA_T, replace=(("split(self.k_proj(key))", "split(self.k_proj(query))"),),
          why="computes the keys from the query input: self-attention only"),
    Fault("mha-scales-twice", MHA, MHA_T,
          replace=(("heads, weights = scaled_dot_product_attention(q, k, v, mask)",
                    "heads, weights = scaled_dot_product_attention(q / math.sqrt(self.d_head), k, v, mask)"),),
          why="divides by sqrt(d_head) itself as well as in the attention"),
    Fault("mha-ignores-mask", MHA, MHA_T,
          replace=(("scaled_dot_product_attention(q, k, v, mask)", "scaled_dot_product_attention(q, k, v)"),),
          why="never passes the mask on"),
    Fault("mha-no-bias", MHA, MHA_T,
          replace=(("self.q_proj = nn.Linear(d_model, d_model)\n", "self.q_proj = nn.Linear(d_model, d_model, bias=False)\n"),),
          why="a query projection without a bias"),
    Fault("mha-calls-torch", MHA, MHA_T,
          replace=(("        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))\n",
                    "        if True:\n"
                    "            blocked = None if mask is None else (~mask if mask.dtype == torch.bool else mask)\n"
                    "            out, weights = F.multi_head_attention_forward(\n"
                    "                query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), query.shape[-1], self.n_heads,\n"
                    "                torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight]),\n"
                    "                torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]), None, None, False, 0.0,\n"
                    "                self.out_proj.weight, self.out_proj.bias, attn_mask=blocked, average_attn_weights=False)\n"
                    "            return out.transpose(0, 1), weights\n"
                    "        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))\n"),),
          why="delegates to the forbidden F.multi_head_attention_forward"),
]

PE, PE_T = "lab10-sinusoidal-positions", ("lab10-sinusoidal-positions-tests",)
BLOCK, BLOCK_T = "lab10-transformer-block", ("lab10-transformer-block-tests",)

FAULTS += [
    # sinusoidal_positions
    Fault("positions-sin-cos-swapped", PE, PE_T,
          replace=(("pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles)",
                    "pe[:, 0::2] = torch.cos(angles)\n    pe[:, 1::2] = torch.sin(angles)"),),
          why="cosines in the even columns, sines in the odd ones"),
    Fault("positions-base-1000", PE, PE_T, replace=(("10000.0 **", "1000.0 **"),), why="the wrong base for the frequencies"),
    Fault("positions-exponent-i-over-d", PE, PE_T,
          replace=(("-torch.arange(0, d, 2, dtype=torch.float64) / d", "-torch.arange(0, d // 2, dtype=torch.float64) / d"),),
          why="exponent i/d instead of 2i/d: the frequencies fall too slowly"),
    Fault("positions-halves", PE, PE_T,
          replace=(("    pe = torch.empty(n, d, dtype=torch.float64)\n    pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles)\n",
                    "    pe = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)\n"),),
          why="all sines, then all cosines (a common layout, but not the one asked for)"),
    Fault("positions-from-one", PE, PE_T, replace=(("torch.arange(n, dtype=torch.float64)[:, None]", "torch.arange(1, n + 1, dtype=torch.float64)[:, None]"),),
          why="counts positions from 1"),
    Fault("positions-multiplies-by-frequency-scale", PE, PE_T, replace=(("10000.0 ** (-torch.arange", "10000.0 ** (torch.arange"),),
          why="multiplies by 10000^(2i/d) instead of dividing"),
    Fault("positions-loop", PE, PE_T,
          source='''def sinusoidal_positions(n, d):
    if d % 2 != 0:
        raise ValueError("d must be even")
    pe = torch.zeros(n, d)
    for t in range(n):
        for i in range(d // 2):
            pe[t, 2 * i] = math.sin(t / 10000 ** (2 * i / d))
            pe[t, 2 * i + 1] = math.cos(t / 10000 ** (2 * i / d))
    return pe
''', why="Python loops over positions and frequencies"),
    Fault("positions-no-odd-check", PE, PE_T,
          replace=(("    if d % 2 != 0:\n        raise ValueError(f\"the dimension d must be even, not {d}\")\n", ""),
                   ("pe = torch.empty(n, d, dtype=torch.float64)", "pe = torch.empty(n, d + d % 2, dtype=torch.float64)"),
                   ("return pe.float()", "return pe[:, :d].float()")),
          why="accepts an odd d silently"),
    # TransformerBlock
    Fault("block-post-norm", BLOCK, BLOCK_T,
          replace=(("        h = self.norm1(x)\n        blocked = None if mask is None else ~mask\n"
                    "        x = x + self.attn(h, h, h, attn_mask=blocked, need_weights=False)[0]\n"
                    "        return x + self.mlp(self.norm2(x))",
                    "        blocked = None if mask is None else ~mask\n"
                    "        x = self.norm1(x + self.attn(x, x, x, attn_mask=blocked, need_weights=False)[0])\n"
                    "        return self.norm2(x + self.mlp(x))"),),
          why="post-norm (the original transformer) instead of pre-norm"),
    Fault("block-no-attention-residual", BLOCK, BLOCK_T,
          replace=(("x = x + self.attn(h, h, h, attn_mask=blocked, need_weights=False)[0]",
                    "x = self.attn(h, h, h, attn_mask=blocked, need_weights=False)[0]"),),
          why="no residual connection around attention"),
    Fault("block-no-mlp-residual", BLOCK, BLOCK_T, replace=(("return x + self.mlp(self.norm2(x))", "return self.mlp(self.norm2(x))"),),
          why="no residual connection around the MLP"),
    Fault("block-mask-not-inverted", BLOCK, BLOCK_T, replace=(("blocked = None if mask is None else ~mask", "blocked = mask"),),
          why="passes our mask (True = may attend) to PyTorch, whose True means may not"),
    Fault("block-ignores-mask", BLOCK, BLOCK_T, replace=(("attn_mask=blocked, need_weights=False", "need_weights=False"),),
          why="never applies the mask: not causal"),
    Fault("block-normalises-stream", BLOCK, BLOCK_T,
          replace=(("        h = self.norm1(x)\n", "        x = self.norm1(x)\n        h = x\n"),),
          why="normalises the residual stream itself, not a copy"),
    Fault("block-mlp-unnormalised", BLOCK, BLOCK_T, replace=(("return x + self.mlp(self.norm2(x))", "return x + self.mlp(x)"),),
          why="forgets the second layer norm"),
    Fault("block-relu", BLOCK, BLOCK_T, replace=(("nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear", "nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear"),),
          why="ReLU instead of GELU"),
    Fault("block-one-norm", BLOCK, BLOCK_T, replace=(("return x + self.mlp(self.norm2(x))", "return x + self.mlp(self.norm1(x))"),),
          why="uses the first layer norm twice"),
    Fault("block-default-width", BLOCK, BLOCK_T, replace=(("d_ff = 4 * d_model if d_ff is None else d_ff", "d_ff = 2 * d_model if d_ff is None else d_ff"),),
          why="a default MLP width of 2 d_model"),
    Fault("block-not-batch-first", BLOCK, BLOCK_T,
          replace=(("nn.MultiheadAttention(d_model, n_heads, batch_first=True)", "nn.MultiheadAttention(d_model, n_heads)"),),
          why="sequence-first attention on batch-first inputs: attends across the batch"),
    Fault("block-calls-torch-layer", BLOCK, BLOCK_T,
          source='''class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff=None):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff or 4 * d_model, dropout=0.0, activation="gelu",
                                                batch_first=True, norm_first=True)
        self.norm1, self.attn, self.norm2 = self.layer.norm1, self.layer.self_attn, self.layer.norm2
        self.mlp = nn.Sequential(self.layer.linear1, nn.GELU(), self.layer.linear2)

    def forward(self, x, mask=None):
        return self.layer(x, src_mask=None if mask is None else ~mask)
''', why="delegates to the forbidden nn.TransformerEncoderLayer"),
]

TINY, TINY_T = "lab10-tiny-transformer", ("lab10-tiny-transformer-tests",)
GEN, GEN_T = "lab10-generate", ("lab10-generate-tests",)
TRAINED = "lab10-reversal-accuracy"

FAULTS += [
    # TinyTransformer
    Fault("tiny-no-causal-mask", TINY, TINY_T + (TRAINED,), replace=(("            h = block(h, mask)\n", "            h = block(h)\n"),),
          why="no causal mask: in training the model reads the token it must predict, and fails when it must generate"),
    Fault("tiny-mask-inverted", TINY, TINY_T + (TRAINED,),
          replace=(("mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()",
                    "mask = torch.ones(T, T, dtype=torch.bool, device=tokens.device).triu(1)"),),
          why="the mask in PyTorch's convention (True = may not attend): every position reads only the future"),
    Fault("tiny-no-positions", TINY, TINY_T + (TRAINED,),
          replace=(("h = self.tokens(tokens) + self.positions(torch.arange(T, device=tokens.device))", "h = self.tokens(tokens)"),),
          why="forgets the position embeddings"),
    Fault("tiny-positions-of-tokens", TINY, TINY_T,
          replace=(("self.positions(torch.arange(T, device=tokens.device))", "self.positions(tokens)"),),
          why="looks the tokens up in the position table"),
    Fault("tiny-positions-from-one", TINY, TINY_T,
          replace=(("self.positions(torch.arange(T, device=tokens.device))", "self.positions(torch.arange(1, T + 1, device=tokens.device) % self.positions.num_embeddings)"),),
          why="counts positions from 1"),
    Fault("tiny-no-final-norm", TINY, TINY_T, replace=(("return self.head(self.norm(h))", "return self.head(h)"),),
          why="forgets the final layer norm"),
    Fault("tiny-softmax-output", TINY, TINY_T, replace=(("return self.head(self.norm(h))", "return self.head(self.norm(h)).softmax(dim=-1)"),),
          why="returns probabilities, not logits"),
    Fault("tiny-plain-list", TINY, TINY_T,
          replace=(("self.blocks = nn.ModuleList([PreNormBlock(d_model, n_heads) for _ in range(n_layers)])",
                    "self.blocks = [PreNormBlock(d_model, n_heads) for _ in range(n_layers)]"),),
          why="keeps the blocks in a plain list: their parameters are not registered or trained"),
    Fault("tiny-one-block-reused", TINY, TINY_T,
          replace=(("self.blocks = nn.ModuleList([PreNormBlock(d_model, n_heads) for _ in range(n_layers)])",
                    "self.blocks = nn.ModuleList([PreNormBlock(d_model, n_heads)] * n_layers)"),),
          why="the same block object n_layers times: shared weights"),
    Fault("tiny-double-residual", TINY, TINY_T, replace=(("            h = block(h, mask)\n", "            h = h + block(h, mask)\n"),),
          why="adds another residual around blocks that already have their own"),
    # generate
    Fault("generate-returns-prompt", GEN, GEN_T, replace=(("return tokens[:, prompts.shape[1]:]", "return tokens"),),
          why="returns the prompt with the answer"),
    Fault("generate-first-position", GEN, GEN_T, replace=(("model(tokens)[:, -1, :]", "model(tokens)[:, 0, :]"),),
          why="reads the logits of the first position instead of the last"),
    Fault("generate-no-feedback", GEN, GEN_T,
          replace=(("next_token = model(tokens)[:, -1, :].argmax(dim=-1)", "next_token = model(prompts)[:, -1, :].argmax(dim=-1)"),),
          why="runs the model on the prompt only: its own predictions are never fed back"),
    Fault("generate-one-step-short", GEN, GEN_T, replace=(("for _ in range(n):", "for _ in range(n - 1):"),),
          why="one step too few"),
    Fault("generate-samples", GEN, GEN_T,
          replace=(("next_token = model(tokens)[:, -1, :].argmax(dim=-1)",
                    "next_token = torch.multinomial(model(tokens)[:, -1, :].softmax(dim=-1), 1)[:, 0]"),),
          why="samples instead of taking the most likely token"),
    Fault("generate-calls-helper", GEN, GEN_T,
          source='''def generate(model, prompts, n):
    return greedy_answers(model, prompts, n)
''', why="delegates to the forbidden labs.sequences.greedy_answers"),
    Fault("generate-builds-graph", GEN, GEN_T,
          source='''def generate(model, prompts, n):
    tokens = prompts
    for _ in range(n):
        next_token = model(tokens)[:, -1, :].argmax(dim=-1)
        tokens = torch.cat([tokens, next_token[:, None]], dim=1)
    return tokens[:, prompts.shape[1]:]
''', why="leaves out torch.no_grad(): autograd records every step of decoding"),
]
