"""The Markdown report of ``bench/generate.py``: nerloop runs, the competitors' runs (Chatette, Chatito), a summary."""

from __future__ import annotations

from _common import REFERENCE_DATE, fmt_float, fmt_int, markdown_table
from _competitors import PROBE_N, Competitor

MIB = 1024 * 1024


def fmt_rate(value: float | None) -> str:
    if not value:
        return "-"
    return fmt_float(value, 1) if value < 100 else fmt_int(round(value))


def print_report(
    args,
    facts,
    counts,
    built,
    build_seconds,
    first_load,
    nerloop_runs,
    competitors: list[Competitor],
) -> None:
    _print_facts(args, facts, counts, built, build_seconds, first_load)
    _print_nerloop(args, nerloop_runs)
    for competitor in competitors:
        _print_competitor(competitor)
    _print_summary(args, nerloop_runs, competitors)


def _print_facts(args, facts, counts, built, build_seconds, first_load) -> None:
    print("## Generation benchmark\n")
    print(
        markdown_table(
            ["fact", "value"],
            [
                *facts,
                ("gazetteer", f"{args.gazetteer} ({', '.join(f'{k} {fmt_int(v)}' for k, v in counts.items())})"),
                ("gazetteer build", f"built now in {build_seconds:.1f} s" if built else "reused (already built)"),
                ("first gazetteer load in the parent", f"{first_load[0]:.2f} s ({first_load[1]})"),
                ("settings", f"default grammar, seed 0, reference {REFERENCE_DATE.isoformat()}, JSONL only"),
            ],
        )
    )


def _print_nerloop(args, nerloop_runs) -> None:
    print("\n### nerloop `generate_dataset` (one child per run, pinned to one CPU)\n")
    rows = _nerloop_rows(args, nerloop_runs)
    print(
        markdown_table(
            [
                "samples",
                "load s (cached)",
                "setup s (n=1)",
                "generation s",
                "samples/s",
                "samples/s of CPU time",
                "samples/s excl. setup",
                "attempts",
                "duplicates skipped",
                "output MiB",
                "RSS after load MiB",
                "peak RSS MiB",
                "CPU share",
            ],
            rows,
        )
    )
    print(
        "\nsamples/s of CPU time: n / the child's CPU seconds in the call, the steadier figure on a shared host. "
        "CPU share: CPU time / wall time of the generation; well below 100% means the pinned CPU was shared "
        "with other work and the rates are pessimistic."
    )
    if args.repeat > 1:
        print(f"\nbest of {args.repeat} runs per size (by generation time).")
    for run in nerloop_runs:
        if run.result and run.result.get("profile"):
            print(
                f"\ncProfile of the n={fmt_int(run.n)} call (`--profile`):\n\n```\n{run.result['profile'].strip()}\n```"
            )
    _print_tenths(nerloop_runs)


def _nerloop_rows(args, nerloop_runs) -> list[list[str]]:
    rows = []
    for run in nerloop_runs:
        r = run.result
        if r is None:
            status = (
                f"did not finish in {args.timeout:.0f} s"
                if run.child.timed_out
                else f"failed (exit {run.child.returncode}, log {run.log})"
            )
            rows.append(
                [fmt_int(run.n), status, "", "", "", "", "", "", "", "", "", fmt_float(run.child.peak_rss_mib, 0), ""]
            )
            continue
        setup = r["setup_seconds"]
        steady = (
            run.n / (r["generation_seconds"] - setup) if setup is not None and r["generation_seconds"] > setup else None
        )
        rows.append(
            [
                fmt_int(run.n),
                fmt_float(r["load_seconds"]),
                fmt_float(setup) if setup is not None else "-",
                fmt_float(r["generation_seconds"]),
                fmt_int(round(run.n / r["generation_seconds"])),
                fmt_int(round(run.n / r["generation_cpu_seconds"])),
                fmt_int(round(steady)) if steady else "-",
                fmt_int(r["attempts"]),
                fmt_int(r["duplicates"]),
                fmt_float(r["output_bytes"] / MIB, 1),
                fmt_float(r["rss_after_load_mib"], 0),
                fmt_float(run.child.peak_rss_mib, 0),
                f"{r['generation_cpu_seconds'] / r['generation_seconds']:.0%}",
            ]
        )
    return rows


def _print_tenths(nerloop_runs) -> None:
    tenths = [run for run in nerloop_runs if run.result and len(run.result["marks"]) >= 2]
    if tenths:
        print(
            "\nsamples/s within each tenth of the run (does the rate hold up as the run grows? "
            "1/10 includes the call's setup):\n"
        )
        rows = []
        for run in tenths:
            previous, rates = (0, 0.0), []
            for done, seconds in run.result["marks"]:
                rates.append(
                    fmt_int(round((done - previous[0]) / (seconds - previous[1]))) if seconds > previous[1] else "-"
                )
                previous = (done, seconds)
            rows.append([fmt_int(run.n), *rates, *([""] * (10 - len(rates)))])
        print(markdown_table(["samples", *(f"{i}/10" for i in range(1, 11))], [r[:11] for r in rows]))


def _print_competitor(competitor: Competitor) -> None:
    print(f"\n### {competitor.name}: {competitor.status}\n")
    template_info, probe, runs = competitor.template, competitor.probe, competitor.runs
    if template_info is not None:
        print(
            f"template: {fmt_int(template_info.lines)} lines, {fmt_int(template_info.intent_rules)} intent rules "
            f"(weighted), {fmt_float(len(template_info.text.encode()) / MIB, 1)} MiB"
        )
        for note in template_info.notes:
            print(f"- {note}")
        print()
    if runs or probe:
        probe_s = probe.child.seconds if probe and not probe.error else None
        rows = []
        for run in ([probe] if probe else []) + runs:
            rate = run.written / run.child.seconds if run.written and not run.error else None
            # below a 2 s difference from the probe, scheduling noise swamps the rate
            net = (
                run.written / (run.child.seconds - probe_s)
                if rate and probe_s is not None and run is not probe and run.child.seconds > probe_s + 2
                else None
            )
            rows.append(
                [
                    fmt_int(run.asked) + (" (probe)" if run is probe else ""),
                    fmt_int(run.written) if not run.error else "-",
                    run.error or fmt_float(run.child.seconds),
                    fmt_rate(rate),
                    fmt_rate(net),
                    fmt_float(run.output_bytes / MIB, 1) if not run.error else "-",
                    fmt_float(run.child.peak_rss_mib, 0),
                    f"{run.child.cpu_seconds / run.child.seconds:.0%}" if run.child.seconds else "-",
                ]
            )
        print(
            markdown_table(
                [
                    "asked",
                    "written",
                    "wall s",
                    "examples/s",
                    "examples/s excl. probe",
                    "output MiB",
                    "peak RSS MiB",
                    "CPU share",
                ],
                rows,
            )
        )
        print(
            f"\nwall s: {competitor.name} CLI from start to exit (parse template + generate + write); "
            f"the probe run ({PROBE_N} examples) is its fixed cost; examples/s excl. probe = written / "
            "(wall − probe wall), shown only where the two differ by more than 2 s."
        )


def _print_summary(args, nerloop_runs, competitors: list[Competitor]) -> None:
    print("\n### Summary\n")
    rows = []
    for run in nerloop_runs:
        if run.result:
            s = run.result["generation_seconds"]
            rows.append(
                [
                    "nerloop generate_dataset",
                    fmt_int(run.n),
                    fmt_float(s),
                    fmt_int(round(run.n / s)),
                    fmt_float(run.child.peak_rss_mib, 0),
                ]
            )
        else:
            rows.append(
                ["nerloop generate_dataset", fmt_int(run.n), "failed", "-", fmt_float(run.child.peak_rss_mib, 0)]
            )
    for competitor, run in ((c, r) for c in competitors for r in c.runs):
        tool = f"{competitor.name.lower()} CLI"
        if run.error:
            # a run killed at the timeout wrote fewer than it was asked for in that time: its rate is below asked / time
            bound = f"< {fmt_rate(run.asked / run.child.seconds)}" if run.child.timed_out else "-"
            rows.append([tool, fmt_int(run.asked), run.error, bound, fmt_float(run.child.peak_rss_mib, 0)])
        else:
            rows.append(
                [
                    tool,
                    fmt_int(run.written),
                    fmt_float(run.child.seconds),
                    fmt_rate(run.written / run.child.seconds),
                    fmt_float(run.child.peak_rss_mib, 0),
                ]
            )
    print(markdown_table(["tool", "samples", "seconds", "samples/s", "peak RSS MiB"], rows))
    print(
        "\nnerloop seconds: the generate_dataset call (setup included, gazetteer load excluded); peak RSS includes the "
        "loaded gazetteer. Competitors' seconds: whole CLI run (template parse included). All pinned to CPU "
        f"{args.cpu}. A run killed at its timeout shows the bound on its rate: fewer than the asked samples in that time."
    )
    for competitor in competitors:
        if competitor.runs:
            print(f"{competitor.name} does less per sample: {competitor.does_less}.")
