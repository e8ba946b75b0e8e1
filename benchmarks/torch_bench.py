"""torch_bench.py — PyTorch time per Gatys iteration (forward to relu5_1, losses, input-gradient backward, one
optimiser step) for the sizes given. Prints one JSON line per (size, tf32).

GPU (cuDNN, TF32 off and on, a plain gradient step):
  python3 benchmarks/torch_bench.py --arch vgg19 --sizes 512,1024,2048 --iterations 10 [--device cuda]
CPU, like `gpustyle bench`: torch.optim.LBFGS (history 100, no line search), also forward+backward alone:
  python3 benchmarks/torch_bench.py --device cpu --arch vgg16 --sizes 256x192,512x384 --optimizer lbfgs
Sizes are N (N×N) or WxH.
"""
import argparse, json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(__file__))
import torch_gatys as tg

STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def parse_size(text):
    w, _, h = text.lower().partition("x")
    return int(w), int(h or w)


def time_iteration(arch, width, height, iterations, device, tf32, optimizer, history):
    """Seconds per full iteration and per forward+backward alone, and the peak CUDA memory."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    net = tg.VGGFeatures(tg.random_weights(arch), arch, "relu5_1").to(device)
    g = torch.Generator().manual_seed(0)
    content, style = (torch.rand(1, 3, height, width, generator=g).to(device) * 255 for _ in range(2))
    loss = tg.GatysLoss(net, content, style, ["relu4_2"], STYLE_LAYERS, 5, 100, 1e-3)
    x = (torch.randn(1, 3, height, width, generator=g).to(device)).requires_grad_(True)

    def closure():
        x.grad = None
        c, s, tv = loss(x)
        total = c + s + tv
        total.backward()
        return total

    if optimizer == "lbfgs":
        # One closure evaluation per step, as neural-style's L-BFGS iterations.
        opt = torch.optim.LBFGS([x], lr=1, max_iter=1, tolerance_grad=-1, tolerance_change=-1,
                                history_size=history, line_search_fn=None)
        step = lambda: opt.step(closure)
    else:
        def step():
            closure()
            with torch.no_grad():
                x.sub_(x.grad, alpha=1e-3)

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def timed(body):
        """(wall, process CPU) seconds per call."""
        for _ in range(2):
            body()
        sync()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(iterations):
            body()
        sync()
        return (time.perf_counter() - t) / iterations, (time.process_time() - c) / iterations

    (seconds, cpu_seconds), (forward_backward, _) = timed(step), timed(closure)
    peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else 0
    return seconds, cpu_seconds, forward_backward, peak


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="vgg19"); p.add_argument("--sizes", default="512,1024,2048")
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--tf32", default=None, help="off,on (default: off,on on CUDA, off on CPU)")
    p.add_argument("--optimizer", default=None, choices=["gd", "lbfgs"], help="default: gd on CUDA, lbfgs on CPU")
    p.add_argument("--lbfgs-history", type=int, default=100)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: PyTorch's, the core count)")
    a = p.parse_args()
    cuda = a.device.startswith("cuda")
    if a.threads:
        torch.set_num_threads(a.threads)
    optimizer = a.optimizer or ("gd" if cuda else "lbfgs")
    for text in a.sizes.split(","):
        width, height = parse_size(text)
        for mode in (a.tf32 or ("off,on" if cuda else "off")).split(","):
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            seconds, cpu_seconds, fb, peak = time_iteration(a.arch, width, height, a.iterations, a.device, mode == "on",
                                               optimizer, a.lbfgs_history)
            print(json.dumps({"size": width if width == height else text, "width": width, "height": height,
                              "tf32": mode == "on", "optimizer": optimizer, "ms_per_iteration": seconds * 1e3,
                              "cpu_ms_per_iteration": cpu_seconds * 1e3,
                              "ms_forward_backward": fb * 1e3, "peak_memory_bytes": peak,
                              "device": torch.cuda.get_device_name() if cuda else "cpu",
                              "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
