#!/usr/bin/env python3
"""Where an exported model's one-row decode step spends its GPU time when run as the Java engine runs it:

    profile_aoti.py EXPORT_DIR [--attended 256] [--replays 50] [--top 12]

EXPORT_DIR is export_aoti.py's output (every stage of a target). The stages' AOTInductor libraries are
called through their C entry points (ctypes; the same calls the JNI shim makes), on inputs of the
engine's shapes (W = 1, a max-context cache), in three ways:
  eager          AOTInductorModelContainerRunSingleThreaded on the default stream
  graph-shim     captured as the shim captures: one run on a stream of its own, then a relaxed-mode
                 cudaStreamBeginCapture on that stream, replayed on the default stream
  graph-torch    captured by torch.cuda.graph (PyTorch's own capture, private memory pool)
Each is timed with CUDA events back to back (ms per step), then step by step as the engine decodes
(token written from the host, step, logits read back: the step's GPU time and the wall time), and broken
down by kernel (torch.profiler), so kernels that differ between an eager step and a replayed one show side
by side. Prints one JSON line a way.
"""
import argparse
import ctypes
import faulthandler
import json
import os

import torch

_capsule_get = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_get.restype, _capsule_get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype, _capsule_new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


def libtorch_global():
    """Makes libtorch's symbols global, as the JNI shim loads them, so that the libraries' aoti_torch_*
    calls resolve against them: Python imports torch with RTLD_LOCAL, and without this the first run
    segfaulted on the device (as torch._inductor.aoti_load_package did there)."""
    lib = os.path.join(os.path.dirname(torch.__file__), "lib")
    for name in ("libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"):
        path = os.path.join(lib, name)
        if os.path.exists(path):
            ctypes.CDLL(path, mode=os.RTLD_GLOBAL | os.RTLD_NOW)


class Graph:
    """One compiled stage: its library's model container."""

    def __init__(self, library, device):
        self.lib = ctypes.CDLL(library, mode=os.RTLD_LOCAL | os.RTLD_NOW)
        self.container = ctypes.c_void_p()
        cubins = os.path.dirname(library).encode()
        self._check(self.lib.AOTInductorModelContainerCreateWithDevice(
            ctypes.byref(self.container), ctypes.c_size_t(1), device.encode(), cubins), "create")
        n = ctypes.c_size_t()
        self._check(self.lib.AOTInductorModelContainerGetNumOutputs(self.container, ctypes.byref(n)), "outputs")
        self.outputs = n.value

    @staticmethod
    def _check(err, what):
        if err != 0:
            raise RuntimeError(f"AOTInductorModelContainer {what} failed ({err})")

    def run(self, inputs, stream):
        """Runs on stream (0: the default stream); the container steals fresh handles of the inputs."""
        handles = [_capsule_get(c, None) for c in torch._C._aoti.unsafe_alloc_void_ptrs_from_tensors(inputs)]
        ins = (ctypes.c_void_p * len(handles))(*handles)
        outs = (ctypes.c_void_p * self.outputs)()
        self._check(self.lib.AOTInductorModelContainerRunSingleThreaded(
            self.container, ins, ctypes.c_size_t(len(handles)), outs, ctypes.c_size_t(self.outputs),
            ctypes.c_void_p(stream), None), "run")
        return torch._C._aoti.alloc_tensors_by_stealing_from_void_ptrs(
            [_capsule_new(outs[i], None, None) for i in range(self.outputs)])


class Step:
    """One decode step through every stage, the hidden state passed on the device."""

    def __init__(self, export_dir, attended, device="cuda:0"):
        with open(os.path.join(export_dir, "mirror-sd-aoti.json")) as f:
            m = json.load(f)
        self.manifest = m
        self.stages = [(s, Graph(os.path.join(export_dir, s["library"]), device)) for s in m["stages"]]
        dtype = getattr(torch, m["dtype"])
        self.tokens = torch.tensor([5], device=device)
        self.positions = torch.tensor([attended - 1], device=device)
        self.mask = torch.zeros(1, attended, device=device)
        self.write_index = torch.tensor([attended - 1], device=device)
        self.cache = torch.zeros(m["num_layers"], 2, m["kv_heads"], m["max_context"], m["head_dim"],
                                 device=device, dtype=dtype)

    def __call__(self, stream=0):
        """Every stage's outputs (kept alive by the caller while a capture's replays write them)."""
        hidden, outputs = None, []
        for stage, graph in self.stages:
            x = self.tokens if stage["input"] == "tokens" else hidden
            out = graph.run([x, self.positions, self.mask, self.write_index, self.cache], stream)
            hidden = dict(zip(stage["outputs"], out)).get("hidden")
            outputs += out
        return outputs


def cudart():
    """The CUDA runtime PyTorch loaded (by soname), with the graph calls' argument types."""
    for name in ("libcudart.so.13", "libcudart.so.12", "libcudart.so"):
        try:
            rt = ctypes.CDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_NOW)
            break
        except OSError:
            continue
    else:
        raise RuntimeError("PyTorch has loaded no libcudart")
    p, pp = ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
    rt.cudaStreamBeginCapture.argtypes = [p, ctypes.c_int]
    rt.cudaStreamEndCapture.argtypes = [p, pp]
    rt.cudaGraphInstantiateWithFlags.argtypes = [pp, p, ctypes.c_ulonglong]
    rt.cudaGraphLaunch.argtypes = [p, p]
    return rt


def timed(fn, calls):
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(calls):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / calls


def stepwise(fn, step, calls):
    """As the engine decodes: new inputs written from the host, the step, its logits read back; the
    step's GPU time (events around it alone) and the wall time of the whole, in ms."""
    import time
    ids = torch.tensor([7])
    gpu, wall = 0.0, time.perf_counter()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(calls):
        step.tokens.copy_(ids)
        start.record()
        out = fn()
        end.record()
        logits = out[-1] if isinstance(out, list) else out[1][-1]
        logits.cpu()
        torch.cuda.synchronize()
        gpu += start.elapsed_time(end)
    return gpu / calls, (time.perf_counter() - wall) * 1e3 / calls


def kernels(fn, calls, top):
    """fn() run calls times under torch.profiler: GPU us a call in all, and the top kernels by GPU time."""
    from torch.profiler import ProfilerActivity, profile
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    rows = []
    for e in prof.key_averages():
        t = getattr(e, "self_device_time_total", None) or getattr(e, "self_cuda_time_total", 0)
        if t > 0:
            rows.append((t / calls, e.count / calls, e.key[:100]))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    return total, [{"us_per_step": round(t, 1), "calls_per_step": n, "kernel": k} for t, n, k in rows[:top]]


def shim_capture(step):
    """The JNI shim's capture: a run on the capture stream (made PyTorch's current stream), then a
    relaxed-mode capture of the next run on it; replayed on the default stream."""
    rt = cudart()
    stream = torch.cuda.Stream()
    torch.cuda.synchronize()
    graph, exec_ = ctypes.c_void_p(), ctypes.c_void_p()
    with torch.cuda.stream(stream):
        step(stream.cuda_stream)
        stream.synchronize()
        if rt.cudaStreamBeginCapture(stream.cuda_stream, 2):  # cudaStreamCaptureModeRelaxed
            raise RuntimeError("cudaStreamBeginCapture failed")
        kept = step(stream.cuda_stream)  # the outputs stay alive, as the shim keeps them
        if rt.cudaStreamEndCapture(stream.cuda_stream, ctypes.byref(graph)):
            raise RuntimeError("cudaStreamEndCapture failed")
    if rt.cudaGraphInstantiateWithFlags(ctypes.byref(exec_), graph, 0):
        raise RuntimeError("cudaGraphInstantiateWithFlags failed")

    def replay():
        rt.cudaGraphLaunch(exec_, None)
        return kept
    return replay


def torch_capture(step):
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        step(stream.cuda_stream)
    torch.cuda.synchronize()
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, capture_error_mode="relaxed"):
        kept = step(torch.cuda.current_stream().cuda_stream)
    replay = g.replay
    return lambda: (replay(), kept)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export_dir")
    ap.add_argument("--attended", type=int, default=256)
    ap.add_argument("--replays", type=int, default=50)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--ways", default="eager,graph-shim,graph-torch")
    a = ap.parse_args()
    faulthandler.enable()
    libtorch_global()
    step = Step(a.export_dir, a.attended)
    m = step.manifest
    for way in a.ways.split(","):
        try:
            with torch.no_grad():
                if way == "eager":
                    fn = step
                    step()
                else:
                    fn = shim_capture(step) if way == "graph-shim" else torch_capture(step)
                ms = timed(fn, a.replays)
                step_gpu, step_wall = stepwise(fn, step, a.replays)
                gpu_us, top = kernels(fn, 5, a.top)
        except Exception as e:  # one way failing leaves the others to run
            print(json.dumps({"way": way, "error": repr(e)[:500]}), flush=True)
            continue
        print(json.dumps({"way": way, "model": m.get("source"), "layers": m["num_layers"], "attended": a.attended,
                          "ms_per_step": round(ms, 4), "kernel_ms_per_step": round(gpu_us / 1e3, 4),
                          "stepwise_gpu_ms": round(step_gpu, 4), "stepwise_wall_ms": round(step_wall, 4),
                          "top_kernels": top}), flush=True)


if __name__ == "__main__":
    main()
