"""torch_bench.py — PyTorch + cuDNN time per Gatys iteration (forward to relu5_1, losses, input-gradient backward,
one gradient step), TF32 off and on, for the sizes given. Prints one JSON line per (size, tf32).

  python3 benchmarks/torch_bench.py --arch vgg19 --sizes 512,1024,2048 --iterations 10 [--device cuda]
"""
import argparse, json, os, sys, time
import torch

sys.path.insert(0, os.path.dirname(__file__))
import torch_gatys as tg


def time_iteration(arch, size, iterations, device, tf32):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = True
    net = tg.VGGFeatures(tg.random_weights(arch), arch, "relu5_1").to(device)
    g = torch.Generator().manual_seed(0)
    content, style = (torch.rand(1, 3, size, size, generator=g).to(device) * 255 for _ in range(2))
    loss = tg.GatysLoss(net, content, style, ["relu4_2"], ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], 5, 100, 1e-3)
    x = (torch.randn(1, 3, size, size, generator=g).to(device)).requires_grad_(True)

    def step():
        c, s, tv = loss(x)
        (c + s + tv).backward()
        with torch.no_grad():
            x.sub_(x.grad, alpha=1e-3)
            x.grad = None

    for _ in range(3):
        step()
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    t = time.perf_counter()
    for _ in range(iterations):
        step()
    sync()
    seconds = (time.perf_counter() - t) / iterations
    peak = torch.cuda.max_memory_allocated() if device.startswith("cuda") else 0
    return seconds, peak


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="vgg19"); p.add_argument("--sizes", default="512,1024,2048")
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--tf32", default="off,on")
    a = p.parse_args()
    for size in map(int, a.sizes.split(",")):
        for mode in a.tf32.split(","):
            if a.device.startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()
            seconds, peak = time_iteration(a.arch, size, a.iterations, a.device, mode == "on")
            print(json.dumps({"size": size, "tf32": mode == "on", "ms_per_iteration": seconds * 1e3,
                              "peak_memory_bytes": peak, "device": torch.cuda.get_device_name() if a.device.startswith("cuda") else "cpu",
                              "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
