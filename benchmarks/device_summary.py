"""device_summary.py — the tables from a device run's folder (benchmarks/device_run.sh, gpu_compare.sh): GPU, parity,
tuning, gpustyle vs PyTorch ratios, the high-resolution run and peaks; whatever is there, so a run cut short still
summarises. Usage: python3 benchmarks/device_summary.py FOLDER (the folder itself, or one holding compare/, highres/)."""
import json, os, re, sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def lines(path, pattern=None):
    try:
        with open(path) as f:
            return [l.rstrip() for l in f if pattern is None or re.search(pattern, l)]
    except OSError:
        return []


def ratio_table(folder):
    torch = {}
    for line in lines(f"{folder}/torch.jsonl"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        torch[(str(r["size"]), r["tf32"])] = r
    names = (re.fullmatch(r"gpustyle_(?:tf32x3_|tf32_)?(\d+)\.json", n) for n in os.listdir(folder))
    sizes = sorted({m.group(1) for m in names if m} | {s for s, _ in torch}, key=int)
    if not sizes:
        return
    # gpustyle's precisions (--precision): fp32 is the default and issue 6's target; tf32x3 (FP32-accurate on tensor
    # cores) aims at PyTorch's TF32 time; tf32 is the fast, inexact one.
    precisions = [p for p in ("fp32", "tf32x3", "tf32")
                  if any(load(f"{folder}/gpustyle_{'' if p == 'fp32' else p + '_'}{s}.json") for s in sizes)] or ["fp32"]
    head = [f"{'size':>6}"] + [f"{'gs ' + p + ' ms':>15}" for p in precisions] + [f"{'torch fp32 ms':>14}", f"{'torch tf32 ms':>14}"]
    head += [f"{p + '/torch fp32':>17}" for p in precisions[:1]] + [f"{p + '/torch tf32':>17}" for p in precisions]
    head += [f"{'gpustyle mem':>13}", f"{'torch mem':>10}", f"{'launches':>9}"]
    print(" ".join(head))
    g = None
    for s in sizes:
        runs = {p: load(f"{folder}/gpustyle_{'' if p == 'fp32' else p + '_'}{s}.json") for p in precisions}
        ms = {p: r["seconds_per_iteration"] * 1e3 if r else None for p, r in runs.items()}
        g = runs[precisions[0]] or g
        cells = [f"{ms[p]:15.2f}" if ms[p] else f"{'-':>15}" for p in precisions]
        for tf32 in (False, True):
            t = torch.get((s, tf32))
            cells.append(f"{t['ms_per_iteration']:14.2f}" if t else f"{'-':>14}")
        for p, tf32 in [(precisions[0], False)] + [(p, True) for p in precisions]:
            t = torch.get((s, tf32))
            cells.append(f"{t['ms_per_iteration'] / ms[p]:16.2f}x" if t and ms[p] else f"{'-':>17}")
        first = runs[precisions[0]]
        cells.append(f"{first['peak_device_memory_bytes'] / 2**30:12.2f}G" if first else f"{'-':>13}")
        t = torch.get((s, False))
        cells.append(f"{t['peak_memory_bytes'] / 2**30:9.2f}G" if t else f"{'-':>10}")
        cells.append(f"{first['kernel_launches_per_iteration']:9.0f}" if first and first.get("kernel_launches_per_iteration") else f"{'-':>9}")
        print(f"{s:>6} " + " ".join(cells))
    print("ratio = PyTorch time / gpustyle time (above 1: gpustyle is faster); launches: gpustyle's kernels per iteration; gpustyle: "
          + (g["conv_tiling"] if g and "conv_tiling" in g else "?"))


def profiled_runs(folder, pattern):
    """(file name, report, profiled iterations, ms per iteration per kernel — narrow variants summed in) of each
    report in folder whose name matches pattern and that holds a kernel profile."""
    for name in sorted(n for n in os.listdir(folder) if re.fullmatch(pattern, n)):
        r = load(f"{folder}/{name}")
        if not r or not r.get("kernel_profile"):
            continue
        n, times = r["kernel_profile_iterations"], {}
        for k in r["kernel_profile"]:
            base = k["kernel"].split(" ")[0]
            times[base] = times.get(base, 0) + k["seconds"] * 1e3 / n
        yield name, r, n, times


def kernel_profiles(folder):
    for name, r, n, _ in profiled_runs(folder, r"profile_(tf32x3_)?\d+\.json"):
        profile = r["kernel_profile"]
        total = sum(k["seconds"] for k in profile)
        precision = " (3×TF32)" if "tf32x3" in name else ""
        print(f"{r['width']}×{r['height']}{precision}: {r['seconds_per_iteration'] * 1e3:.2f} ms per iteration, kernels {total * 1e3 / n:.2f} ms of device time, "
              f"{r.get('kernel_launches_per_iteration', 0):.0f} launches, {r.get('host_waits_per_iteration', 0):.0f} host waits")
        for k in profile[:8]:
            print(f"  {k['kernel']:32} {k['seconds'] * 1e3 / n:9.3f} ms {100 * k['seconds'] / max(total, 1e-30):5.1f}%  {k['launches'] / n:6.1f} launches")
        if r.get("kernel_profile_span_seconds"):
            print(f"  device busy {100 * total / r['kernel_profile_span_seconds']:.1f}% from the first kernel's start to the last one's end")
        for k in r.get("kernel_profile_shapes", [])[:10]:
            print(f"  {k['kernel'] + ' ' + k['shape']:54} {k['seconds'] * 1e3 / n:9.3f} ms {100 * k['seconds'] / max(total, 1e-30):5.1f}%  {k['launches'] / n:6.1f} launches")


def chunk_sizes(folder):
    """Winograd chunk sizes (GPUSTYLE_WINOGRAD_CHUNK) at one size: iteration time and the Winograd kernels' device time."""
    for name, r, n, times in profiled_runs(folder, r"chunk_.*\.json"):
        total = sum(times.values())
        span = r.get("kernel_profile_span_seconds", 0) * 1e3 / n
        print(f"{name[6:-5]:14} {r['width']}²: {r['seconds_per_iteration'] * 1e3:9.2f} ms per iteration, Winograd input/GEMM/output "
              f"{times.get('winograd_input', 0):.2f}/{times.get('winograd_gemm', 0):.2f}/{times.get('winograd_output', 0):.2f} ms, "
              f"ReLU passes {times.get('relu_backward', 0) + times.get('apply_positive_mask', 0):.2f} ms, "
              f"all kernels {total:.2f} of {span:.2f} ms, {r.get('kernel_launches_per_iteration', 0):.0f} launches")


def gram_tilings(folder):
    for name, r, n, times in profiled_runs(folder, r"gram_.*\.json"):
        gram = sum(v for k, v in times.items() if k.startswith("gram_"))
        print(f"{name[5:-5].replace('-', ','):22} {r['width']}²: {r['seconds_per_iteration'] * 1e3:9.2f} ms per iteration, Gram kernels "
              f"{gram:8.3f} ms (forward {times.get('gram_partial', 0):.3f}, gradient {times.get('gram_backward', 0):.3f})")


def host_waits(folder):
    """Sleeping vs blocking reads (GPUSTYLE_HOST_WAIT): ms and process CPU time per iteration."""
    for wait in ("sleep", "blocking"):
        r = load(f"{folder}/hostwait_{wait}.json")
        if r:
            print(f"{wait:9} {r['width']}²: {r['seconds_per_iteration'] * 1e3:9.2f} ms per iteration, "
                  f"process CPU time {r.get('cpu_seconds_per_iteration', 0) * 1e3:9.2f} ms")


def tensor_tilings(folder):
    r = load(f"{folder}/tune_tf32x3.json")
    if not r:
        return
    for t in sorted(r["trials"], key=lambda t: (t["milliseconds"] is None, t["milliseconds"] or 0)):
        time = f"{t['milliseconds']:9.2f} ms" if t["milliseconds"] is not None else "  rejected"
        print(f"{time}  {t['tuning']}" + (f": {t['rejection'][:160]}" if t["rejection"] else ""))


def highres(folder):
    chain = load(f"{folder}/chain.json")
    if chain:
        print(f"chain {chain['width']}×{chain['height']}: {chain['seconds']:.0f} s, peak {chain['peak_device_memory_bytes'] / 2**30:.2f} GiB")
        for s in chain["scales"]:
            print(f"  {s['width']}×{s['height']}: {s['iterations']} it, {s['seconds']:.1f} s, final total {s['final']['total']:.4g}; "
                  f"{s['memory_plan']}")
    for name in sorted(os.listdir(folder), key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)]):
        if name.startswith("bench_") and name.endswith(".json"):
            r = load(f"{folder}/{name}")
            if r:
                print(f"{name:22} {r['seconds_per_iteration'] * 1e3:10.1f} ms  peak {r['peak_device_memory_bytes'] / 2**30:6.2f} GiB "
                      f"(L-BFGS {r['optimizer_bytes'] / 2**30:5.2f} GiB)  {r['memory_plan']}")


def main(folder):
    for title, path, pattern in [("GPU", "gpu.txt", None), ("devices", "devices.txt", r"^\[|compute capability"),
                                 ("no GPU", "no_gpu.txt", None),
                                 ("parity (Winograd)", "parity.txt", r"^(cpu|opencl) on|per iteration|relative loss|conv tiling"),
                                 ("parity (Winograd on tensor cores, 3×TF32)", "parity_tf32x3.txt", r"^opencl on|relative loss|conv tiling"),
                                 ("parity (Winograd on tensor cores, TF32)", "parity_tf32.txt", r"^opencl on|relative loss"),
                                 ("tune", "tune.txt", r"^best on|^stored|tile chunks"),
                                 ("tune (tensor cores, 3×TF32)", "tune_tf32x3.txt", r"^best on|^stored|^gpustyle: error"),
                                 ("parity (direct)", "parity_direct.txt", r"^(cpu|opencl) on|per iteration|relative loss"),
                                 ("untuned Winograd", "untuned_winograd.txt", r"per iteration|phases"),
                                 ("untuned direct", "untuned_direct.txt", r"per iteration|phases"),
                                 ("plan only", "highres.txt", r"nothing computed"),
                                 ("skipped", "skipped.txt", None), ("failed", "failed.txt", None)]:
        found = lines(f"{folder}/{path}", pattern)
        if found:
            print(f"## {title}"); print("\n".join(found))
    for sub, title, show, pattern in [(".", "device time per kernel", kernel_profiles, r"profile_(tf32x3_)?\d+\.json"),
                                      (".", "Winograd chunk sizes (GPUSTYLE_WINOGRAD_CHUNK; tune's choice: see tune) and ReLU gates separate (compare profile_N)", chunk_sizes, r"chunk_.*\.json"),
                                      (".", "Gram tilings (GPUSTYLE_GRAM_TILING)", gram_tilings, r"gram_.*\.json"),
                                      (".", "host waits (GPUSTYLE_HOST_WAIT)", host_waits, r"hostwait_.*\.json"),
                                      (".", "tensor-core GEMM tilings (tune --precision tf32x3, fastest first)", tensor_tilings, r"tune_tf32x3\.json"),
                                      (".", "gpustyle vs PyTorch", ratio_table, r"gpustyle_(tf32x3_|tf32_)?\d+\.json|torch\.jsonl"),
                                      ("compare", "gpustyle vs PyTorch", ratio_table, r"gpustyle_(tf32x3_|tf32_)?\d+\.json|torch\.jsonl"),
                                      (".", "high resolution", highres, r"chain\.json|bench_.*\.json"),
                                      ("highres", "high resolution", highres, r"chain\.json|bench_.*\.json")]:
        path = os.path.join(folder, sub)
        if os.path.isdir(path) and any(re.fullmatch(pattern, n) for n in os.listdir(path)):
            print(f"## {title}")
            show(path)

if __name__ == "__main__":
    main(sys.argv[1])
