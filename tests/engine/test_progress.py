"""Progress lines on stderr: n of N, elapsed and ETA; rate-limited in logs, redrawn on a terminal; and the
long commands (eval, the trainer's evaluation, trace, bench model, data build) actually show them."""

import io
import json
import re

from trm_engine.cli import main
from trm_engine.progress import Progress, clock_text


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_the_first_line_then_one_per_interval_and_the_last():
    out, clock = io.StringIO(), Clock()
    p = Progress("eval x", unit="puzzles", stream=out, interval=10, clock=clock)
    for done in range(0, 101):
        clock.now = 100.0 + done * 0.5  # 50 s in all: a line at 0, 10, 20, 30, 40 s and the last
        p(done, 100)
    lines = out.getvalue().splitlines()
    assert [re.match(r"eval x: (\d+)/100 puzzles", line).group(1) for line in lines] == \
        ["0", "20", "40", "60", "80", "100"]
    assert lines[1] == "eval x: 20/100 puzzles (20%)  0:00:10 elapsed, ETA 0:00:40"
    assert lines[-1] == "eval x: 100/100 puzzles (100%)  0:00:50 elapsed" and "\r" not in out.getvalue()
    p(100, 100)  # a repeated last call writes nothing more
    assert len(out.getvalue().splitlines()) == 6


def test_the_estimate_follows_the_fraction_and_a_note_is_shown():
    out, clock = io.StringIO(), Clock()
    p = Progress("bench", stream=out, interval=0, clock=clock)
    clock.now += 30
    p(1, 4, fraction=0.75, note="next: inference pass")
    assert out.getvalue() == "bench: 1/4 (75%), next: inference pass  0:00:30 elapsed, ETA 0:00:10\n"


def test_a_terminal_line_is_redrawn_in_place_and_ended_once():
    out, clock = Tty(), Clock()
    p = Progress("trace", unit="supervision steps", stream=out, clock=clock)
    assert p.interval < 1
    p(0, 3)
    clock.now += 1
    p(1, 3)
    clock.now += 0.01
    p(2, 3)  # within the redraw interval: skipped
    clock.now += 1
    p(3, 3)
    text = out.getvalue()
    assert text.count("\r") == 3 and text.count("\n") == 1 and text.endswith("elapsed" + " " * 12 + "\n")
    assert "3/3 supervision steps (100%)  0:00:02 elapsed" in text  # blanks cover the longer line before
    stopped = Tty()
    q = Progress("x", stream=stopped, clock=clock)
    q(1, 5)
    q.close()
    assert stopped.getvalue().endswith("\n")


def test_delay_keeps_quick_work_silent_and_quiet_is_silent():
    out, clock = io.StringIO(), Clock()
    p = Progress("eval", stream=out, delay=2.0, clock=clock)
    p(0, 10)
    clock.now += 1
    p(10, 10)
    assert out.getvalue() == ""
    slow = Progress("eval", stream=out, delay=2.0, clock=clock)
    clock.now += 3
    slow(5, 10)
    assert out.getvalue().startswith("eval: 5/10")
    quiet = io.StringIO()
    Progress("x", quiet=True, stream=quiet)(1, 1)
    assert quiet.getvalue() == ""
    assert clock_text(3725.9) == "1:02:05"


def n_of_n(err: str, what: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(rf"{what}.*?: (\d+)/(\d+)", err)]


def test_trm_eval_shows_progress_on_stderr_and_caps_the_batch(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--json", "--batch", "4"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["count"] == 16
    seen = n_of_n(captured.err, "eval")
    assert seen[0] == (0, 16) and seen[-1] == (16, 16) and "batch 4 on cpu" in captured.err
    assert all(total == 16 for _, total in seen)
    assert main(["eval", str(tiny_run), "--json", "--limit", "2", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["count"] == 2 and captured.err == ""


def test_trm_eval_on_a_cpu_defaults_to_a_small_batch(tiny_run, capsys):
    from trm_engine.eval.commands import CPU_BATCH

    assert main(["eval", str(tiny_run), "--limit", "3"]) == 0
    assert f"batch {CPU_BATCH} on cpu" in capsys.readouterr().err


def test_a_padded_evaluation_batch_never_exceeds_the_work(sudoku4):
    from trm_engine.data.evaluation import eval_row_count, iter_eval

    batches = list(iter_eval(sudoku4, "test", batch_size=256, limit=3))
    assert len(batches) == 1 and batches[0].batch["inputs"].shape[0] == 3
    two = list(iter_eval(sudoku4, "test", batch_size=256, limit=3, rank=1, world_size=2))
    assert two[0].batch["inputs"].shape[0] == 2 and two[0].count == 1  # 4 rows over 2 ranks, one padded
    assert eval_row_count(sudoku4, "test", 0, 3) == 16 * 4


def test_the_trainers_evaluation_reports_progress(sudoku4_path, tmp_path):
    from tests.engine.conftest import tiny_run_config
    from trm_engine.train.trainer import Trainer

    calls = []
    trainer = Trainer(tiny_run_config(sudoku4_path, "steps=2", "eval_interval=0"), tmp_path / "r")
    trainer.eval_progress = lambda step: (lambda done, total, fraction: calls.append((step, done, total, fraction)))
    for _ in trainer.run():
        pass
    assert calls[0] == (2, 0, 16, 0.0) and calls[-1] == (2, 16, 16, 1.0)
    fractions = [c[3] for c in calls]
    assert fractions == sorted(fractions) and len(calls) > 3  # supervision steps inside a batch count too
    # The count says the same as the share (a batch halfway through its steps is half its puzzles), not
    # "0/16 puzzles (62%)".
    assert all(done / total <= fraction < (done + 1) / total for _, done, total, fraction in calls)


def test_trace_and_bench_model_show_progress(tiny_run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "t.trace.h5"
    assert main(["trace", str(tiny_run), "--puzzle", "1.3.\n..2.\n.1..\n4...", "--out", str(out),
                 "--steps", "3", "--level", "step"]) == 0
    seen = n_of_n(capsys.readouterr().err, "tracing")
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    monkeypatch.setattr("trm_engine.model.bench.matmul_rate", lambda *a, **k: 1e9)  # its big matmuls take seconds
    assert main(["bench", "model", "--preset", "sudoku4-mlp-lab", "--set", "hidden_size=32", "--set", "num_heads=2",
                 "--set", "puzzle_emb_ndim=32",
                 "--batch", "2", "--repeats", "1", "--inference-repeats", "1", "--inference-steps", "2",
                 "--threads", "1", "--json"]) == 0
    seen = n_of_n(capsys.readouterr().err, "bench model")
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)  # warm-up + 1 timed train step, warm-up + 1 inference


def test_data_build_progress_has_an_estimate(tmp_path, capsys):
    assert main(["data", "build", "sudoku", "--box", "2", "--train", "20", "--test", "0",
                 "--out", str(tmp_path / "s.h5")]) == 0
    err = capsys.readouterr().err
    assert re.search(r"building sudoku: 0/20 .*elapsed", err) and re.search(r"20/20 \(100%\)", err)


def test_bench_train_shows_progress(capsys, monkeypatch):
    monkeypatch.setattr("trm_engine.train.bench.matmul_rate", lambda *a, **k: 1e9)
    assert main(["bench", "train", "--preset", "sudoku4-mlp-lab", "--set", "hidden_size=16", "--set", "num_heads=2",
                 "--set", "puzzle_emb_ndim=16", "--batch", "2", "--repeats", "1", "--threads", "1", "--json"]) == 0
    seen = n_of_n(capsys.readouterr().err, "bench train")
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)  # two warm-ups, then one whole and one bare step


def test_an_experiments_evaluations_report_progress(tmp_path):
    from tests.engine.test_experiments_run import RECIPE, TINY
    from trm_engine.experiments import parse_budget, plan_experiment, run_experiment

    plan = plan_experiment("halting", "lab", seeds=1, budget=parse_budget("2"), out=tmp_path, overrides=TINY,
                           recipe_overrides=RECIPE, threads=1, variants=["halt-only"])
    calls = []
    events = list(run_experiment(plan, eval_progress=lambda step: lambda *a: calls.append((step, *a))))
    assert type(events[-1]).__name__ == "ExperimentFinished" and events[-1].measured == 1
    assert calls[0] == (2, 0, 8, 0.0) and calls[-1] == (2, 8, 8, 1.0)  # the run's evaluation at its last step
