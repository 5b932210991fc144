"""The benchmarks run to the end and print their figures last (their values are not judged)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.benchmarks import last_figures, run_bench
from tests.shared_data import PROJECT_ROOT, require_shared_data

pytestmark = pytest.mark.integration


def test_the_ingest_benchmark_prints_its_three_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "ingest.py",
        *("--mentions", "300", "--batch", "50", "--rounds", "2", "--profile"),
        *("--database-url", database_dsn),
    )
    assert last_figures(result.stdout) == [
        "ingest_mentions_per_s",
        "raw_upsert_rows_per_s",
        "ingest_ratio",
    ]
    assert all(float(line.split(":")[1]) > 0 for line in result.stdout.splitlines()[-3:])
    assert "UPSERT_THREADS" in result.stdout


def test_the_x_connector_benchmark_prints_its_three_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "x_connector.py",
        *("--rounds", "2", "--per-round", "120", "--customers", "20"),
        *("--database-url", database_dsn),
    )
    assert last_figures(result.stdout) == [
        "x_connector_mentions_per_s",
        "ingest_ceiling_mentions_per_s",
        "x_connector_ratio",
    ]
    assert "240 mentions added by the connector" in result.stdout


def test_the_sla_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "sla.py",
        *("--deadlines", "200", "--naive", "20", "--clocks", "1000", "3000", "--punctual", "3"),
        *("--database-url", database_dsn),
    )
    names = last_figures(result.stdout, 10)
    assert names == [
        "deadlines_per_s",
        "naive_deadlines_per_s",
        "deadline_speedup_ratio",
        "breach_scan_next_due_ms_1k",
        "breach_scan_fire_1000_ms_1k",
        "breach_scan_next_due_ms_3k",
        "breach_scan_fire_1000_ms_3k",
        "timer_breach_lateness_ms_p50",
        "timer_breach_lateness_ms_max",
        "bare_sleep_lateness_ms_p50",
    ]


def test_the_classifier_benchmark_prints_its_figures_last() -> None:
    require_shared_data("customer-care", "dev.json")  # the corpus's texts
    result = run_bench("classify.py", "--texts", "200")
    expected = []
    for part in ("en", "fr_written"):
        expected += [f"test_messages_{part}", f"language_accuracy_{part}"]
        expected += [
            f"{figure}_{part}_{classifier}"
            for classifier in ("model", "model_language_guessed", "lexicon", "keywords")
            for figure in ("complaint_precision", "complaint_recall", "complaint_f1", "macro_f1")
        ]
    expected += [
        "classify_texts_per_s_language_given",
        "classify_texts_per_cpu_s_language_given",
        "classify_texts_per_s_language_guessed",
        "lexicon_texts_per_s_language_given",
        "lexicon_texts_per_cpu_s_language_given",
        "model_to_lexicon_cpu_ratio",
        "tokenise_texts_per_s",
        "classify_to_tokenise_ratio",
        "classify_language_guessed_to_tokenise_ratio",
        "tokenise_texts_per_cpu_s",
        "classify_to_tokenise_cpu_ratio",
    ]
    names = [line.split()[0] for line in result.stdout.strip().splitlines()[-len(expected) :]]
    assert names == expected


def test_the_labelled_set_is_balanced_enough_to_measure() -> None:
    rows = [
        json.loads(line)
        for line in (PROJECT_ROOT / "tests" / "data" / "brand_messages.jsonl")
        .read_text()
        .splitlines()
    ]
    assert len(rows) >= 300
    assert {r["lang"] for r in rows} == {"en", "fr"}
    assert all(r["complaint"] == (r["kind"] == "complaint") for r in rows)


def test_the_routing_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "routing.py",
        *("--threads", "200", "--claimers", "2", "--decision-batches", "1"),
        *("--database-url", database_dsn),
    )
    names = last_figures(result.stdout, 8)
    assert names == [
        "routing_decisions_per_s",
        "claims_per_s_single",
        "claims_per_s_batched_10",
        "bare_skip_locked_per_s_single",
        "bare_skip_locked_per_s_batched_10",
        "claim_ratio_single",
        "claim_ratio_batched_10",
        "fairness_max_over_min_simulated_day",
    ]


def test_the_web_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "web.py",
        *("--threads", "300", "--agents", "3", "--requests", "2", "--live-batches", "2"),
        *("--database-url", database_dsn),
    )
    weighed = ("inbox", "thread", "search", "me", "dashboard", "incidents", "login")
    names = last_figures(result.stdout, 37)
    assert names == [
        "inbox_list_p50_ms",
        "inbox_list_p99_ms",
        "inbox_list_requests_per_s",
        "bare_query_p50_ms",
        "bare_query_p99_ms",
        "bare_query_requests_per_s",
        "inbox_to_bare_p99_ratio",
        "inbox_to_bare_throughput_ratio",
        "inbox_page_cpu_ms",
        "bare_query_cpu_ms",
        "inbox_page_statements",
        "inbox_rows_cpu_us",
        "bare_fetch_cpu_us",
        "inbox_rows_to_bare_fetch_cpu_ratio",
        "thread_page_p50_ms",
        "thread_page_p99_ms",
        "thread_page_requests_per_s",
        "thread_to_bare_p99_ratio",
        "thread_to_bare_throughput_ratio",
        "thread_page_cpu_ms",
        "thread_page_statements",
        *(f"{page}_page_bytes_{form}" for page in weighed for form in ("gzip", "plain")),
        "ingest_to_page_p50_ms",
        "ingest_to_page_p99_ms",
    ]


def test_the_live_benchmark_prints_its_figures_last(database_dsn: str) -> None:
    result = run_bench(
        "live.py",
        *("--clients", "6", "--agents", "3", "--threads", "300", "--rate", "20"),
        *("--batch", "5", "--seconds", "2", "--database-url", database_dsn),
    )
    names = last_figures(result.stdout, 16)
    assert names == [
        "page_quiet_p50_ms",
        "page_p50_ms",
        "page_p99_ms",
        "fetches_per_client_per_min",
        "rows_sent_per_client_per_min",
        "commit_to_row_p50_ms",
        "commit_to_row_p99_ms",
        "server_cpu_baseline_share",
        "server_cpu_share",
        "server_cpu_ratio",
        "ingest_baseline_mentions_per_s",
        "ingest_mentions_per_s",
        "ingest_rate_ratio",
        "ingest_baseline_batch_p99_ms",
        "ingest_batch_p99_ms",
        "ingest_batch_p99_ratio",
    ]


def test_the_nab_benchmark_reproduces_the_published_scores_and_prints_ours() -> None:
    data = require_shared_data("nab")
    result = run_bench("nab.py", "--data", str(data))
    lines = result.stdout.strip().splitlines()
    figures = dict(line.split(": ") for line in lines[lines.index(_first_figure(lines)) :])
    assert float(figures["nab_reproduction_worst_difference"]) <= 1e-6
    assert float(figures["nab_dev_plateau_worst_loss"]) >= 0
    for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        assert f"nab_loo_ours_{profile}" in figures
        assert f"nab_loo_{profile}_ratio_to_best_published" in figures
        assert f"nab_extra_counts_ours_{profile}" in figures
    assert list(figures)[-1] == "detector_buckets_per_s"
    assert float(figures["detector_buckets_per_s"]) > 0


def _first_figure(lines: list[str]) -> str:
    return next(line for line in lines if line.startswith("nab_dev_threshold_"))


def test_the_incidents_benchmark_prints_linking_precision_and_recall_last(
    database_dsn: str,
) -> None:
    result = run_bench("incidents.py", "--database-url", database_dsn)
    figures = dict(line.split(": ") for line in result.stdout.strip().splitlines()[-10:])
    assert list(figures)[-2:] == ["incidents_linking_precision", "incidents_linking_recall"]
    assert all(0.0 <= float(value) <= 1.0 for name, value in figures.items() if "linking" in name)


def test_the_webhook_fanout_benchmark_prints_its_ratio_last(database_dsn: str) -> None:
    result = run_bench(
        "webhooks.py", "--threads", "5", "--messages", "2", "--database-url", database_dsn
    )
    assert last_figures(result.stdout) == [
        "customer_events_per_s",
        "thread_to_sla_fanout_ratio",
        "customer_to_sla_fanout_ratio",
    ]


def test_the_export_benchmark_prints_its_memory_figures_last(database_dsn: str) -> None:
    result = run_bench("exports.py", "--threads", "300", "--database-url", database_dsn)
    assert last_figures(result.stdout) == [
        "export_peak_mib",
        "fetch_all_peak_mib",
        "export_to_fetch_all_memory_ratio",
    ]
