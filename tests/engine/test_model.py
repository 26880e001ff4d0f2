"""The model is the paper's model: parameter counts, where gradients flow, what each update sees,
halting, heads, losses, presets. Tiny configs keep every test to a fraction of a second."""

import math

import pytest
import torch

from trm_engine.config import ModelConfig, apply_overrides, load_preset, preset_names
from trm_engine.model.losses import act_loss, stablemax_cross_entropy
from trm_engine.model.trm import RecursiveModel


def tiny(**kw) -> ModelConfig:
    base = dict(vocab_size=6, seq_len=16, hidden_size=32, num_heads=4, puzzle_emb_ndim=32, puzzle_emb_len=2,
                h_cycles=3, l_cycles=2, halt_max_steps=4, mixer="attention", pos_encodings="rope")
    base.update(kw)
    return ModelConfig(**base)


def batch_for(cfg: ModelConfig, B: int = 3, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"inputs": torch.randint(1, cfg.vocab_size, (B, cfg.seq_len), generator=g),
            "labels": torch.randint(1, cfg.vocab_size, (B, cfg.seq_len), generator=g),
            "puzzle_identifiers": torch.zeros(B, dtype=torch.int32)}


class CallLog:
    """Forward pre-hooks on the networks: which net ran, with grad on or off, and its injection."""

    def __init__(self, model: RecursiveModel):
        self.calls = []
        nets = {"net": model.net}
        if model.net_y is not None:
            nets["net_y"] = model.net_y
        for name, net in nets.items():
            net.register_forward_pre_hook(self._hook(name))

    def _hook(self, name):
        def hook(module, args):
            h, inj = args[0], args[1]
            self.calls.append((name, torch.is_grad_enabled(), h, inj))
        return hook


# ------------------------------------------------------------------------------- parameter counts
@pytest.mark.parametrize("preset,expected", [
    ("sudoku-mlp", 5_028_866), ("sudoku-att", 6_828_034), ("maze-att", 6_822_914),
    ("arc-att", 6_829_058), ("hrm-sudoku", 27_275_266),
])
def test_paper_parameter_counts(preset, expected):
    assert RecursiveModel(load_preset(preset).model).num_parameters()["nonembedding"] == expected


@pytest.mark.parametrize("overrides", [["separate_nets=true"], ["num_layers=4", "l_cycles=3"]])
def test_ten_million_variants_of_table1(overrides):
    cfg = apply_overrides(load_preset("sudoku-mlp"), overrides).model
    assert RecursiveModel(cfg).num_parameters()["nonembedding"] == 10_045_442


def test_puzzle_table_is_a_buffer_outside_the_count():
    m = RecursiveModel(tiny(num_puzzle_identifiers=7))
    assert "embed.puzzle.table" in dict(m.named_buffers())
    assert m.num_parameters()["embedding"] == 7 * 32
    assert torch.count_nonzero(m.embed.puzzle.table) == 0  # zero-initialised


def test_mlp_t_has_no_attention_weights():
    names = [n for n, _ in RecursiveModel(tiny(mixer="mlp_t", pos_encodings="none")).named_parameters()]
    assert not any("attn" in n for n in names)
    assert any("token_mlp" in n for n in names)


def test_init_states_are_fixed_buffers_not_parameters():
    m = RecursiveModel(tiny())
    params = dict(m.named_parameters())
    assert "y_init" not in params and "z_init" not in params
    # truncated at 2 sigma of the uncorrected normal, i.e. 2 / 0.8796 of the corrected std
    assert m.y_init.shape == (32,) and m.y_init.abs().max() <= 2.0 / 0.8796 + 1e-4


# ----------------------------------------------------------------------------------- the recursion
def test_gradients_only_through_the_last_cycle():
    cfg = tiny(h_cycles=3, l_cycles=2)
    m = RecursiveModel(cfg).train()
    log = CallLog(m)
    b = batch_for(cfg)
    m.step(m.initial_carry(b), b)
    grads = [g for _, g, _, _ in log.calls]
    n = cfg.l_cycles
    assert len(grads) == cfg.h_cycles * (n + 1)
    assert grads == [False] * (cfg.h_cycles - 1) * (n + 1) + [True] * (n + 1)


def test_one_step_gradient_only_through_the_last_z_and_y_update():
    cfg = tiny(h_cycles=2, l_cycles=3, gradient="one_step")
    m = RecursiveModel(cfg).train()
    log = CallLog(m)
    b = batch_for(cfg)
    m.step(m.initial_carry(b), b)
    assert [g for _, g, _, _ in log.calls] == [False] * 4 + [False, False, True, True]


def test_weights_receive_gradient_and_the_carry_is_detached():
    cfg = tiny()
    m = RecursiveModel(cfg).train()
    b = batch_for(cfg)
    carry, out = m.step(m.initial_carry(b), b)
    loss, _ = act_loss(out, carry.data["labels"], carry.halted, carry.steps)
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())
    assert not carry.y.requires_grad and not carry.z.requires_grad
    assert carry.y.grad_fn is None and carry.z.grad_fn is None


def test_z_update_sees_the_input_and_the_y_update_never_does():
    cfg = tiny(h_cycles=2, l_cycles=2)
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    x = m.embed(b["inputs"], b["puzzle_identifiers"], torch.float32)
    log = CallLog(m)
    with torch.no_grad():
        m.step(m.initial_carry(b), b)
    y = m.y_init.expand_as(x)
    z = m.z_init.expand_as(x)
    n = cfg.l_cycles
    calls = list(log.calls)  # replaying below calls the hooked net again
    for i, (_, _, h, inj) in enumerate(calls):
        if i % (n + 1) < n:  # z-update: z <- f(z, y + x)
            assert torch.equal(h, z) and torch.allclose(inj, y + x)
            z = m.net(h, inj, m.rotary)
        else:  # y-update: y <- f(y, z), no x
            assert torch.equal(h, y) and torch.equal(inj, z)
            assert not torch.allclose(inj, z + x)
            y = m.net(h, inj, m.rotary)


def test_separate_nets_use_f_h_for_y_and_f_l_for_z():
    cfg = tiny(separate_nets=True, h_cycles=2, l_cycles=2)
    m = RecursiveModel(cfg).eval()
    log = CallLog(m)
    b = batch_for(cfg)
    with torch.no_grad():
        m.step(m.initial_carry(b), b)
    assert [name for name, *_ in log.calls] == ["net", "net", "net_y"] * 2


def test_single_z_feeds_x_to_n_updates_and_nothing_to_the_last():
    cfg = tiny(single_z=True, h_cycles=1, l_cycles=3)
    m = RecursiveModel(cfg).eval()
    log = CallLog(m)
    b = batch_for(cfg)
    with torch.no_grad():
        m.step(m.initial_carry(b), b)
    x = m.embed(b["inputs"], b["puzzle_identifiers"], torch.float32)
    injections = [inj for *_, inj in log.calls]
    assert all(torch.allclose(inj, x) for inj in injections[:3]) and injections[3] is None


def test_recorder_sees_every_state_in_order_and_changes_nothing():
    cfg = tiny(h_cycles=2, l_cycles=3)
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    seen = []

    def recorder(kind, sup_step, cycle, inner, state):
        seen.append((kind, sup_step, cycle, inner, state.shape))

    with torch.no_grad():
        _, plain = m.step(m.initial_carry(b), b)
        c2, recorded = m.step(m.initial_carry(b), b, recorder=recorder)
        m.step(c2, b, recorder=recorder)
    assert torch.equal(plain.logits, recorded.logits)
    expected = []
    for sup in (1, 2):
        for cycle in range(2):
            expected += [("z", sup, cycle, i, (3, cfg.full_seq_len, 32)) for i in range(3)]
            expected.append(("y", sup, cycle, 3, (3, cfg.full_seq_len, 32)))
    assert seen == expected


def test_recorder_changes_no_logits():
    cfg = tiny()
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    with torch.no_grad():
        ca, cb = m.initial_carry(b), m.initial_carry(b)
        for _ in range(3):
            ca, oa = m.step(ca, b)
            cb, ob = m.step(cb, b, recorder=lambda *a: None)
            assert torch.equal(oa.logits, ob.logits) and torch.equal(oa.q_halt, ob.q_halt)


# ------------------------------------------------------------------------------ heads and halting
def test_q_head_starts_at_sigmoid_minus_five():
    cfg = tiny()
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    with torch.no_grad():
        _, out = m.step(m.initial_carry(b), b)
    assert torch.allclose(out.q_halt, torch.full_like(out.q_halt, -5.0))
    assert torch.allclose(torch.sigmoid(out.q_halt), torch.full_like(out.q_halt, 1 / (1 + math.exp(5))))


def test_eval_runs_exactly_max_steps_and_can_run_longer():
    cfg = tiny(halt_max_steps=3)
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    with torch.no_grad():
        carry = m.initial_carry(b)
        for step in range(1, 4):
            carry, _ = m.step(carry, b)
            assert bool(carry.halted.all()) == (step == 3)
        carry = m.initial_carry(b)
        for step in range(1, 7):  # test-time depth scaling: more steps than trained with
            carry, _ = m.step(carry, b, max_steps=6)
            assert bool(carry.halted.any()) == (step == 6)
        assert int(carry.steps[0]) == 6


def test_training_halts_on_positive_q_halt_and_refills_halted_slots():
    cfg = tiny(halt_exploration_prob=0.0)
    m = RecursiveModel(cfg).train()
    with torch.no_grad():
        m.q_head.bias.copy_(torch.tensor([5.0, -5.0]))  # q_halt = +5: every slot halts after one step
    b1, b2 = batch_for(cfg, seed=1), batch_for(cfg, seed=2)
    carry, _ = m.step(m.initial_carry(b1), b1)
    assert carry.halted.all() and torch.equal(carry.data["inputs"], b1["inputs"])
    carry, _ = m.step(carry, b2)
    assert torch.equal(carry.data["inputs"], b2["inputs"]) and (carry.steps == 1).all()


def test_non_halted_slots_keep_their_puzzle():
    cfg = tiny(halt_exploration_prob=0.0)
    m = RecursiveModel(cfg).train()  # q_halt = -5 < 0: nobody halts before N_sup
    b1, b2 = batch_for(cfg, seed=1), batch_for(cfg, seed=2)
    carry, _ = m.step(m.initial_carry(b1), b1)
    carry, _ = m.step(carry, b2)
    assert torch.equal(carry.data["inputs"], b1["inputs"]) and (carry.steps == 2).all()


def test_continue_loss_variant_makes_a_second_forward_and_a_target():
    cfg = tiny(act_continue=True, h_cycles=2, l_cycles=2)
    m = RecursiveModel(cfg).train()
    log = CallLog(m)
    b = batch_for(cfg)
    carry, out = m.step(m.initial_carry(b), b)
    assert len(log.calls) == 2 * cfg.h_cycles * (cfg.l_cycles + 1)  # NFP = 2
    assert out.target_q_continue is not None and ((out.target_q_continue >= 0) & (out.target_q_continue <= 1)).all()
    loss, metrics = act_loss(out, carry.data["labels"], carry.halted, carry.steps)
    loss.backward()
    assert metrics["q_continue_loss"] > 0 and m.q_head.weight.grad is not None


def test_default_trm_makes_a_single_forward():
    cfg = tiny(h_cycles=2, l_cycles=2)
    m = RecursiveModel(cfg).train()
    log = CallLog(m)
    b = batch_for(cfg)
    _, out = m.step(m.initial_carry(b), b)
    assert len(log.calls) == cfg.h_cycles * (cfg.l_cycles + 1) and out.target_q_continue is None


# ------------------------------------------------------------------------------------------ losses
def test_stablemax_equals_a_float64_reference():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 7, 5, generator=g) * 3
    logits[0, 0, 0] = 1.0  # the value that broke a bf16 implementation
    labels = torch.randint(0, 5, (4, 7), generator=g)
    labels[1, 2] = -100
    got = stablemax_cross_entropy(logits, labels)
    x = logits.double()
    s = torch.where(x >= 0, x + 1, 1 / (1 - x))
    ref = -torch.log(s.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) / s.sum(-1))
    ref[1, 2] = 0
    assert got.dtype == torch.float64
    assert torch.allclose(got, ref, atol=0, rtol=1e-12)


def test_stablemax_gradients_stay_finite_in_bf16_at_logit_one():
    logits = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.bfloat16, requires_grad=True)
    loss = stablemax_cross_entropy(logits, torch.tensor([0])).sum()
    loss.backward()
    assert torch.isfinite(logits.grad.float()).all()


def test_loss_is_per_sequence_mean_summed_plus_half_bce():
    cfg = tiny()
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    with torch.no_grad():
        carry, out = m.step(m.initial_carry(b), b)
    labels = carry.data["labels"].clone()
    labels[0, :4] = -100
    total, metrics = act_loss(out, labels, torch.ones(3, dtype=torch.bool), carry.steps)
    ce = stablemax_cross_entropy(out.logits, labels)
    per_seq = ce.sum(-1) / (labels != -100).sum(-1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(out.q_halt, torch.zeros(3), reduction="sum")
    assert torch.allclose(total, (per_seq.sum() + 0.5 * bce).float())
    assert metrics["count"] == 3 and metrics["exact_accuracy"] == 0


# ------------------------------------------------------------------------------------------ presets
@pytest.mark.parametrize("preset", preset_names())
def test_every_preset_runs_one_step_on_cpu_at_batch_2(preset):
    cfg = load_preset(preset).model
    if cfg.seq_len >= 900:  # paper widths and 916-long sequences, but one cycle: 15x cheaper, same wiring
        cfg.h_cycles, cfg.l_cycles = 1, 1
    m = RecursiveModel(cfg)
    b = batch_for(cfg, B=2)
    if preset.endswith("-lab"):
        m.train()
        carry, out = m.step(m.initial_carry(b), b)
        act_loss(out, carry.data["labels"], carry.halted, carry.steps)[0].backward()
    else:  # paper sizes: a forward is enough to prove shapes and wiring, and keeps the suite fast
        m.eval()
        with torch.no_grad():
            carry, out = m.step(m.initial_carry(b), b)
    assert out.logits.shape == (2, cfg.seq_len, cfg.vocab_size)
    assert torch.isfinite(out.logits).all()


@pytest.mark.slow
def test_torch_compile_keeps_results_and_state_dict_keys():
    from trm_engine.model.trm import compile_networks

    cfg = tiny()
    m = RecursiveModel(cfg).eval()
    b = batch_for(cfg)
    keys = list(m.state_dict())
    with torch.no_grad():
        _, eager = m.step(m.initial_carry(b), b)
        compile_networks(m)
        _, compiled = m.step(m.initial_carry(b), b)
    assert list(m.state_dict()) == keys  # no _orig_mod. prefix: checkpoints stay interchangeable
    assert torch.allclose(eager.logits, compiled.logits, atol=1e-2, rtol=1e-2)  # bf16-level tolerance


@pytest.mark.parametrize("mixer", ["mlp_t", "attention"])
def test_bf16_on_cpu_runs_the_matmuls_in_bf16_and_keeps_the_activations_fp32(mixer, monkeypatch):
    """dtype=bfloat16 on a CPU: every matrix product (and attention) in bf16, the carry, norms and
    residuals in fp32 (torch.autocast's rule on CPUs); the logits stay within bf16 error of fp32."""
    import torch.nn.functional as F

    cfg = tiny(mixer=mixer, pos_encodings="rope" if mixer == "attention" else "none", h_cycles=1, l_cycles=1)
    torch.manual_seed(0)
    model = RecursiveModel(cfg).eval()
    batch = batch_for(cfg)
    with torch.no_grad():
        _, reference = model.step(model.initial_carry(batch), batch)
    seen = []
    real_linear, real_sdpa = F.linear, F.scaled_dot_product_attention
    monkeypatch.setattr(F, "linear", lambda x, w, b=None: seen.append(("linear", x.dtype, w.dtype)) or real_linear(x, w, b))
    monkeypatch.setattr(F, "scaled_dot_product_attention",
                        lambda q, k, v, **kw: seen.append(("sdpa", q.dtype, k.dtype)) or real_sdpa(q, k, v, **kw))
    model.set_compute_dtype(torch.bfloat16)
    assert model.compute_dtype == torch.float32 and model.matmul_dtype == torch.bfloat16
    with torch.no_grad():
        carry, out = model.step(model.initial_carry(batch), batch)
    assert seen and all(s[1:] == (torch.bfloat16, torch.bfloat16) for s in seen)
    assert {kind for kind, *_ in seen} == ({"linear", "sdpa"} if mixer == "attention" else {"linear"})
    assert carry.y.dtype == carry.z.dtype == out.logits.dtype == torch.float32
    assert not torch.equal(out.logits, reference.logits)  # really computed differently...
    error = (out.logits - reference.logits).abs().mean() / reference.logits.abs().mean()
    assert error < 0.03  # ...within bf16 error over two network calls
    model.set_compute_dtype(None)  # back to fp32: the products too
    seen.clear()
    with torch.no_grad():
        _, again = model.step(model.initial_carry(batch), batch)
    assert seen and all(s[1:] == (torch.float32, torch.float32) for s in seen)
    assert torch.equal(again.logits, reference.logits)
