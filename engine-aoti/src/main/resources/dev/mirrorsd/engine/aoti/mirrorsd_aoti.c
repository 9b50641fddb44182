/*
 * mirror-sd's JNI shim for AOTInductor graphs (dev.mirrorsd.engine.aoti.AotiNative).
 *
 * Plain C, no libtorch headers: every libtorch and CUDA function is resolved at run time with
 * dlopen/dlsym from the user's PyTorch install, through PyTorch's stable C interfaces only
 * (the aoti_torch_* shim exported by libtorch, and the AOTInductorModelContainer* entry points of
 * each compiled graph). So one build of this file runs against any PyTorch 2.x that has them.
 *
 * Build (tools/gpu/build-shim.sh does this):
 *   cc -O2 -shared -fPIC -I$JAVA_HOME/include -I$JAVA_HOME/include/linux mirrorsd_aoti.c -ldl \
 *      -o libmirrorsd_aoti.so
 *
 * Ownership: every tensor handle handed to Java is a new reference that Java frees with
 * freeTensor. runGraph borrows its inputs (it passes fresh aliases to the graph, which steals
 * them) and returns new references to the outputs.
 *
 * Streams: each model has its own CUDA stream (streamNew; non-blocking, so it does not wait for the
 * device's legacy default stream or other models' streams). Its graphs run on it, and every tensor
 * call that gets the stream makes it current first, so copies wait for that model's work only and
 * memory is allocated under it. Stream 0 is the default stream (the CPU, or no own stream).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void *Tensor; /* AtenTensorHandle */
typedef int32_t TorchError;

/* the aoti_torch_* functions used here, resolved from libtorch */
static TorchError (*t_empty_strided)(int64_t, const int64_t *, const int64_t *, int32_t, int32_t, int32_t, Tensor *);
static TorchError (*t_delete)(Tensor);
static TorchError (*t_new_handle)(Tensor, Tensor *);
static TorchError (*t_reinterpret)(Tensor, int64_t, const int64_t *, const int64_t *, int64_t, Tensor *);
static TorchError (*t_copy)(Tensor, Tensor, int32_t);
/* optional: a CPU tensor over memory we own, so a copy to the host lands in the Java array itself */
static TorchError (*t_from_blob)(void *, int64_t, const int64_t *, const int64_t *, int64_t, int32_t, int32_t, int32_t,
                                 Tensor *);
static TorchError (*t_data_ptr)(Tensor, void **);
static TorchError (*t_dim)(Tensor, int64_t *);
static TorchError (*t_sizes)(Tensor, int64_t **);
static int32_t (*t_dtype_float32)(void);
static int32_t (*t_dtype_int64)(void);
static int32_t (*t_dtype_bfloat16)(void);
static int32_t (*t_dtype_float16)(void);
static int32_t (*t_device_cpu)(void);
static int32_t (*t_device_cuda)(void);
/* optional (CUDA builds of libtorch): a CUDAGuard makes the graph's device current on the calling thread */
static TorchError (*t_cuda_guard_new)(int32_t, void **);
static TorchError (*t_cuda_guard_delete)(void *);
/* optional, for CUDA graphs: a stream guard makes the capture stream PyTorch's current stream, so the
 * graph's intermediates come from that stream's own pool of the caching allocator (see stepRun) */
static TorchError (*t_stream_guard_new)(void *, int32_t, void **);
static TorchError (*t_stream_guard_delete)(void *);
static TorchError (*t_current_stream)(int32_t, void **);

/* the CUDA runtime functions CUDA graphs need, resolved from the libcudart libtorch loaded */
typedef int cudaError;
static cudaError (*cuda_stream_create)(void **, unsigned int);
static cudaError (*cuda_stream_sync)(void *);
static cudaError (*cuda_begin_capture)(void *, int);
static cudaError (*cuda_end_capture)(void *, void **);
static cudaError (*cuda_instantiate)(void **, void *, unsigned long long);
static cudaError (*cuda_graph_launch)(void *, void *);
static cudaError (*cuda_exec_destroy)(void *);
static cudaError (*cuda_graph_destroy)(void *);
static cudaError (*cuda_last_error)(void);
static const char *(*cuda_error_string)(cudaError);
/* for MIRRORSD_AOTI_PROFILE: CUDA events around each run */
static cudaError (*cuda_event_create)(void **);
static cudaError (*cuda_event_record)(void *, void *);
static cudaError (*cuda_event_sync)(void *);
static cudaError (*cuda_event_elapsed)(float *, void *, void *);
static cudaError (*cuda_event_destroy)(void *);
static const char *graphs_unavailable = "libtorch is not loaded";
#define CUDA_STREAM_NON_BLOCKING 0x01
#define CUDA_CAPTURE_RELAXED 2

/*
 * MIRRORSD_AOTI_PROFILE=1: each run of a graph on a GPU is bracketed by CUDA events and waited for,
 * and the graph's totals are printed when it is freed: host time to issue the run (launch cost) and
 * GPU time between the events, for eager runs and CUDA graph replays apart. Waiting serializes the
 * host with the GPU, so a profiled run is slower than an unprofiled one; it shows where time goes.
 */
typedef struct {
    long runs;
    double host_ms; /* from the call to the last launch returning */
    double gpu_ms;  /* between events recorded before and after, on the model's stream */
    void *start, *end;
} Profile;

static int profiling = -1;

static int profile_on(void) {
    if (profiling < 0) {
        const char *v = getenv("MIRRORSD_AOTI_PROFILE");
        profiling = v != NULL && v[0] != 0 && strcmp(v, "0") != 0 && cuda_event_create != NULL;
    }
    return profiling;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* before a run on stream: returns the host clock, or a negative number when not profiling */
static double profile_begin(Profile *p, void *stream) {
    if (!profile_on()) {
        return -1;
    }
    if (p->start == NULL && (cuda_event_create(&p->start) != 0 || cuda_event_create(&p->end) != 0)) {
        return -1;
    }
    cuda_event_record(p->start, stream);
    return now_ms();
}

static void profile_end(Profile *p, double began, void *stream) {
    if (began < 0) {
        return;
    }
    double issued = now_ms();
    float gpu = 0;
    cuda_event_record(p->end, stream);
    cuda_event_sync(p->end);
    cuda_event_elapsed(&gpu, p->start, p->end);
    p->runs++;
    p->host_ms += issued - began;
    p->gpu_ms += gpu;
}

static void profile_print(const char *graph, const char *what, Profile *p) {
    if (p->runs > 0) {
        fprintf(stderr, "mirror-sd profile: %s %s: %ld runs, %.3f ms issuing, %.3f ms on the GPU (means)\n", graph,
                what, p->runs, p->host_ms / p->runs, p->gpu_ms / p->runs);
    }
    if (p->start != NULL) {
        cuda_event_destroy(p->start);
        cuda_event_destroy(p->end);
    }
}

/* one compiled graph: its library and model container */
typedef struct {
    void *library;
    void *container;
    int32_t (*run)(void *, Tensor *, size_t, Tensor *, size_t, void *, void *);
    /* RunSingleThreaded (PyTorch 2.6+): no completion event per run. Run() records one and queries it
     * before the next run, and an event last recorded under CUDA graph capture can no longer be
     * queried ("invalid argument"), so a graph that is ever captured runs only through this, under lock */
    int32_t (*run_single)(void *, Tensor *, size_t, Tensor *, size_t, void *, void *);
    pthread_mutex_t lock;
    int32_t (*destroy)(void *);
    size_t inputs;
    size_t outputs;
    int32_t cuda_index; /* the graph's CUDA device, or -1 (CPU) */
    void *stream;       /* the model's stream its runs and replays go on; NULL = the default stream */
    char name[96];      /* the library path's tail, for the profile */
    Profile eager;      /* runs through the container (MIRRORSD_AOTI_PROFILE) */
    Profile replay;     /* CUDA graph launches */
} Graph;

static void throw_state(JNIEnv *env, const char *what, const char *detail) {
    char message[2048];
    snprintf(message, sizeof message, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    jclass cls = (*env)->FindClass(env, "java/lang/IllegalStateException");
    if (cls != NULL) {
        (*env)->ThrowNew(env, cls, message);
    }
}

/* a failed aoti_torch call: libtorch has printed the C++ exception on stderr */
static int failed(JNIEnv *env, TorchError err, const char *call) {
    if (err == 0) {
        return 0;
    }
    throw_state(env, call, "failed (libtorch printed the reason on stderr)");
    return 1;
}

#define RESOLVE(var, name)                                     \
    do {                                                       \
        *(void **)(&var) = dlsym(RTLD_DEFAULT, name);          \
        if (var == NULL) {                                     \
            throw_state(env, "libtorch lacks " name, dlerror()); \
            return;                                            \
        }                                                      \
    } while (0)

/* the CUDA runtime that libtorch_cuda loaded (found by soname), or NULL */
static void *cudart(void) {
    const char *names[] = {"libcudart.so.13", "libcudart.so.12", "libcudart.so"};
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
        if (h != NULL) {
            return h;
        }
    }
    return RTLD_DEFAULT;
}

static void resolve_cuda_graphs(void) {
    void *rt = cudart();
    *(void **)(&t_stream_guard_new) = dlsym(RTLD_DEFAULT, "aoti_torch_create_cuda_stream_guard");
    *(void **)(&t_stream_guard_delete) = dlsym(RTLD_DEFAULT, "aoti_torch_delete_cuda_stream_guard");
    *(void **)(&t_current_stream) = dlsym(RTLD_DEFAULT, "aoti_torch_get_current_cuda_stream");
    *(void **)(&cuda_stream_create) = dlsym(rt, "cudaStreamCreateWithFlags");
    *(void **)(&cuda_stream_sync) = dlsym(rt, "cudaStreamSynchronize");
    *(void **)(&cuda_begin_capture) = dlsym(rt, "cudaStreamBeginCapture");
    *(void **)(&cuda_end_capture) = dlsym(rt, "cudaStreamEndCapture");
    *(void **)(&cuda_instantiate) = dlsym(rt, "cudaGraphInstantiateWithFlags");
    *(void **)(&cuda_graph_launch) = dlsym(rt, "cudaGraphLaunch");
    *(void **)(&cuda_exec_destroy) = dlsym(rt, "cudaGraphExecDestroy");
    *(void **)(&cuda_graph_destroy) = dlsym(rt, "cudaGraphDestroy");
    *(void **)(&cuda_last_error) = dlsym(rt, "cudaGetLastError");
    *(void **)(&cuda_error_string) = dlsym(rt, "cudaGetErrorString");
    *(void **)(&cuda_event_create) = dlsym(rt, "cudaEventCreate");
    *(void **)(&cuda_event_record) = dlsym(rt, "cudaEventRecord");
    *(void **)(&cuda_event_sync) = dlsym(rt, "cudaEventSynchronize");
    *(void **)(&cuda_event_elapsed) = dlsym(rt, "cudaEventElapsedTime");
    *(void **)(&cuda_event_destroy) = dlsym(rt, "cudaEventDestroy");
    if (cuda_event_record == NULL || cuda_event_sync == NULL || cuda_event_elapsed == NULL
        || cuda_event_destroy == NULL) {
        cuda_event_create = NULL;
    }
    if (t_cuda_guard_new == NULL || t_stream_guard_new == NULL || t_stream_guard_delete == NULL
        || t_current_stream == NULL) {
        graphs_unavailable = "libtorch has no CUDA stream guards (a CPU-only PyTorch?)";
    } else if (cuda_stream_create == NULL || cuda_stream_sync == NULL || cuda_begin_capture == NULL
               || cuda_end_capture == NULL
               || cuda_instantiate == NULL || cuda_graph_launch == NULL || cuda_exec_destroy == NULL
               || cuda_graph_destroy == NULL || cuda_last_error == NULL || cuda_error_string == NULL) {
        graphs_unavailable = "no CUDA runtime with graph capture (cudaStreamBeginCapture ...) beside libtorch";
    } else {
        graphs_unavailable = NULL;
    }
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_openLibraries(JNIEnv *env, jclass cls,
                                                                                   jobjectArray paths) {
    jsize n = (*env)->GetArrayLength(env, paths);
    for (jsize i = 0; i < n; i++) {
        jstring path = (jstring)(*env)->GetObjectArrayElement(env, paths, i);
        const char *p = (*env)->GetStringUTFChars(env, path, NULL);
        void *h = dlopen(p, RTLD_NOW | RTLD_GLOBAL);
        char detail[1536];
        if (h == NULL) {
            snprintf(detail, sizeof detail, "%s", dlerror());
        }
        (*env)->ReleaseStringUTFChars(env, path, p);
        if (h == NULL) {
            throw_state(env, "cannot load libtorch", detail);
            return;
        }
    }
    RESOLVE(t_empty_strided, "aoti_torch_empty_strided");
    RESOLVE(t_delete, "aoti_torch_delete_tensor_object");
    RESOLVE(t_new_handle, "aoti_torch_new_tensor_handle");
    RESOLVE(t_reinterpret, "aoti_torch__reinterpret_tensor");
    RESOLVE(t_copy, "aoti_torch_copy_");
    RESOLVE(t_data_ptr, "aoti_torch_get_data_ptr");
    RESOLVE(t_dim, "aoti_torch_get_dim");
    RESOLVE(t_sizes, "aoti_torch_get_sizes");
    RESOLVE(t_dtype_float32, "aoti_torch_dtype_float32");
    RESOLVE(t_dtype_int64, "aoti_torch_dtype_int64");
    RESOLVE(t_dtype_bfloat16, "aoti_torch_dtype_bfloat16");
    RESOLVE(t_dtype_float16, "aoti_torch_dtype_float16");
    RESOLVE(t_device_cpu, "aoti_torch_device_type_cpu");
    RESOLVE(t_device_cuda, "aoti_torch_device_type_cuda");
    *(void **)(&t_cuda_guard_new) = dlsym(RTLD_DEFAULT, "aoti_torch_create_cuda_guard");
    *(void **)(&t_cuda_guard_delete) = dlsym(RTLD_DEFAULT, "aoti_torch_delete_cuda_guard");
    *(void **)(&t_from_blob) = dlsym(RTLD_DEFAULT, "aoti_torch_create_tensor_from_blob");
    resolve_cuda_graphs();
}

/* CUDA devices the driver sees; 0 without a driver. Uses the driver API (libcuda.so.1). */
JNIEXPORT jint JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_cudaDeviceCount(JNIEnv *env, jclass cls) {
    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (cuda == NULL) {
        return 0;
    }
    int (*cu_init)(unsigned int) = (int (*)(unsigned int))dlsym(cuda, "cuInit");
    int (*cu_count)(int *) = (int (*)(int *))dlsym(cuda, "cuDeviceGetCount");
    int count = 0;
    if (cu_init == NULL || cu_count == NULL || cu_init(0) != 0 || cu_count(&count) != 0) {
        return 0;
    }
    return count;
}

static int32_t dtype_code(jint dtype) {
    switch (dtype) {
        case 0: return t_dtype_float32();
        case 1: return t_dtype_int64();
        case 2: return t_dtype_bfloat16();
        default: return t_dtype_float16();
    }
}

static int32_t device_code(jint device_type) {
    return device_type == 0 ? t_device_cpu() : t_device_cuda();
}

/*
 * Makes a model's stream current on this thread (and its device current) until end_stream; stream 0
 * leaves things as they are. Returns 0 with an exception pending when libtorch refused.
 */
static int begin_stream(JNIEnv *env, jlong stream, jint index, void **guard) {
    *guard = NULL;
    if (stream == 0) {
        return 1;
    }
    if (t_stream_guard_new == NULL) {
        throw_state(env, "a CUDA stream was given, but libtorch has no CUDA stream guards", NULL);
        return 0;
    }
    return !failed(env, t_stream_guard_new((void *)(intptr_t)stream, index, guard), "aoti_torch_create_cuda_stream_guard");
}

static void end_stream(void *guard) {
    if (guard != NULL) {
        t_stream_guard_delete(guard); /* restores the thread's previous stream and device */
    }
}

/* a new non-blocking CUDA stream on device index for one model; 0 when the CUDA runtime lacks streams */
JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_streamNew(JNIEnv *env, jclass cls, jint index) {
    if (cuda_stream_create == NULL || cuda_stream_sync == NULL || t_cuda_guard_new == NULL
        || t_stream_guard_new == NULL || t_stream_guard_delete == NULL) {
        return 0;
    }
    void *device_guard = NULL;
    if (failed(env, t_cuda_guard_new(index, &device_guard), "aoti_torch_create_cuda_guard")) {
        return 0;
    }
    void *stream = NULL;
    cudaError e = cuda_stream_create(&stream, CUDA_STREAM_NON_BLOCKING); /* on the current device */
    t_cuda_guard_delete(device_guard);
    if (e != 0) {
        throw_state(env, "cudaStreamCreateWithFlags failed", cuda_error_string(e));
        return 0;
    }
    return (jlong)(intptr_t)stream;
}

static Tensor empty(JNIEnv *env, jsize ndim, const int64_t *sizes, int32_t dtype, int32_t device, int32_t index) {
    int64_t strides[16];
    if (ndim > 16) {
        throw_state(env, "tensors of more than 16 dimensions are not supported", NULL);
        return NULL;
    }
    int64_t stride = 1;
    for (jsize d = ndim - 1; d >= 0; d--) {
        strides[d] = stride;
        stride *= sizes[d];
    }
    Tensor t = NULL;
    if (failed(env, t_empty_strided(ndim, sizes, strides, dtype, device, index, &t), "aoti_torch_empty_strided")) {
        return NULL;
    }
    return t;
}

/* t's dimensions and element count; 0 (with an exception pending) when libtorch refused */
static int shape_of(JNIEnv *env, Tensor t, int64_t *ndim, int64_t **sizes, int64_t *numel) {
    if (failed(env, t_dim(t, ndim), "aoti_torch_get_dim") || failed(env, t_sizes(t, sizes), "aoti_torch_get_sizes")) {
        return 0;
    }
    *numel = 1;
    for (int64_t d = 0; d < *ndim; d++) {
        *numel *= (*sizes)[d];
    }
    return 1;
}

/*
 * The host side of a copy to or from t: a new contiguous CPU tensor of t's shape in dtype, its data
 * pointer and element count. Refuses (NULL, exception pending) when expected >= 0 differs from the
 * element count, so a Java array of the wrong length is never copied.
 */
static Tensor host_like(JNIEnv *env, Tensor t, int32_t dtype, int64_t expected, void **data, int64_t *numel) {
    int64_t ndim = 0;
    int64_t *sizes = NULL;
    if (!shape_of(env, t, &ndim, &sizes, numel)) {
        return NULL;
    }
    if (expected >= 0 && expected != *numel) {
        throw_state(env, "the array's length differs from the tensor's element count", NULL);
        return NULL;
    }
    Tensor host = empty(env, (jsize)ndim, sizes, dtype, t_device_cpu(), 0);
    if (host != NULL && failed(env, t_data_ptr(host, data), "aoti_torch_get_data_ptr")) {
        t_delete(host);
        return NULL;
    }
    return host;
}

/* writes a Java float[] (is_float) or long[] into an existing tensor of as many elements (any device) */
static void write_into(JNIEnv *env, Tensor dst, jarray data, int is_float) {
    void *p = NULL;
    int64_t numel = 0;
    jsize n = (*env)->GetArrayLength(env, data);
    Tensor host = host_like(env, dst, is_float ? t_dtype_float32() : t_dtype_int64(), n, &p, &numel);
    if (host == NULL) {
        return;
    }
    if (is_float) {
        (*env)->GetFloatArrayRegion(env, (jfloatArray)data, 0, n, (jfloat *)p);
    } else {
        (*env)->GetLongArrayRegion(env, (jlongArray)data, 0, n, (jlong *)p);
    }
    failed(env, t_copy(dst, host, 0), "aoti_torch_copy_ (into a tensor)");
    t_delete(host);
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_empty(JNIEnv *env, jclass cls, jlongArray sizes,
                                                                           jint dtype, jint device, jint index,
                                                                           jlong stream) {
    jsize ndim = (*env)->GetArrayLength(env, sizes);
    int64_t dims[16];
    void *guard = NULL;
    if (ndim > 16) {
        throw_state(env, "tensors of more than 16 dimensions are not supported", NULL);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, sizes, 0, ndim, (jlong *)dims);
    if (!begin_stream(env, stream, index, &guard)) {
        return 0;
    }
    Tensor t = empty(env, ndim, dims, dtype_code(dtype), device_code(device), index);
    end_stream(guard);
    return (jlong)(intptr_t)t;
}

/* a new tensor on (device, index) holding a Java array's contents: float[] (dtype 0) or long[] (dtype 1) */
static jlong upload(JNIEnv *env, jarray data, jlongArray sizes, jint dtype, jint device, jint index, jlong stream) {
    jsize ndim = (*env)->GetArrayLength(env, sizes);
    int64_t dims[16];
    void *guard = NULL;
    if (ndim > 16) {
        throw_state(env, "tensors of more than 16 dimensions are not supported", NULL);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, sizes, 0, ndim, (jlong *)dims);
    if (!begin_stream(env, stream, index, &guard)) {
        return 0;
    }
    Tensor t = empty(env, ndim, dims, dtype_code(dtype), device_code(device), index);
    if (t != NULL) {
        write_into(env, t, data, dtype == 0);
        if ((*env)->ExceptionCheck(env)) {
            t_delete(t);
            t = NULL;
        }
    }
    end_stream(guard);
    return (jlong)(intptr_t)t;
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_fromFloats(JNIEnv *env, jclass cls, jfloatArray data,
                                                                                jlongArray sizes, jint device, jint index,
                                                                                jlong stream) {
    return upload(env, data, sizes, 0, device, index, stream);
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_fromLongs(JNIEnv *env, jclass cls, jlongArray data,
                                                                               jlongArray sizes, jint device, jint index,
                                                                               jlong stream) {
    return upload(env, data, sizes, 1, device, index, stream);
}

/*
 * Copies a tensor (any device, any float dtype) into a float[] of as many elements. Where libtorch can
 * wrap memory it does not own, the copy lands in the Java array itself (pinned for the copy as a
 * critical region): a verification window's logits are megabytes, and a host tensor in between cost
 * an allocation and a second copy of them on every round.
 */
JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_toFloats(JNIEnv *env, jclass cls, jlong handle,
                                                                             jfloatArray out, jint index, jlong stream) {
    Tensor t = (Tensor)(intptr_t)handle;
    void *guard = NULL;
    if (t_from_blob != NULL) {
        int64_t ndim = 0;
        int64_t *sizes = NULL;
        int64_t numel = 0;
        int64_t strides[16];
        if (!shape_of(env, t, &ndim, &sizes, &numel)) {
            return;
        }
        if (numel != (*env)->GetArrayLength(env, out)) {
            throw_state(env, "the array's length differs from the tensor's element count", NULL);
            return;
        }
        if (ndim <= 16) {
            for (int64_t d = ndim - 1, step = 1; d >= 0; step *= sizes[d], d--) {
                strides[d] = step;
            }
            if (!begin_stream(env, stream, index, &guard)) {
                return;
            }
            /* no JNI call between Get and Release: errors are raised once the array is released */
            jfloat *p = (jfloat *)(*env)->GetPrimitiveArrayCritical(env, out, NULL);
            if (p == NULL) {
                end_stream(guard);
                return; /* OutOfMemoryError pending */
            }
            Tensor host = NULL;
            TorchError wrap = t_from_blob(p, ndim, sizes, strides, 0, t_dtype_float32(), t_device_cpu(), 0, &host);
            TorchError copy = wrap == 0 ? t_copy(host, t, 0) : 0;
            if (host != NULL) {
                t_delete(host);
            }
            (*env)->ReleasePrimitiveArrayCritical(env, out, p, 0);
            end_stream(guard);
            if (!failed(env, wrap, "aoti_torch_create_tensor_from_blob")) {
                failed(env, copy, "aoti_torch_copy_ (to host)");
            }
            return;
        }
    }
    void *p = NULL;
    int64_t numel = 0;
    Tensor host = host_like(env, t, t_dtype_float32(), (*env)->GetArrayLength(env, out), &p, &numel);
    if (host == NULL) {
        return;
    }
    if (begin_stream(env, stream, index, &guard)) {
        if (!failed(env, t_copy(host, t, 0), "aoti_torch_copy_ (to host)")) {
            (*env)->SetFloatArrayRegion(env, out, 0, (jsize)numel, (const jfloat *)p);
        }
        end_stream(guard);
    }
    t_delete(host);
}

JNIEXPORT jlongArray JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_sizes(JNIEnv *env, jclass cls, jlong handle) {
    Tensor t = (Tensor)(intptr_t)handle;
    int64_t ndim = 0;
    int64_t *sizes = NULL;
    if (failed(env, t_dim(t, &ndim), "aoti_torch_get_dim") || failed(env, t_sizes(t, &sizes), "aoti_torch_get_sizes")) {
        return NULL;
    }
    jlongArray out = (*env)->NewLongArray(env, (jsize)ndim);
    if (out != NULL) {
        (*env)->SetLongArrayRegion(env, out, 0, (jsize)ndim, (const jlong *)sizes);
    }
    return out;
}

/* a view of handle's storage: sizes and strides in elements, offset in elements of the storage */
JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_view(JNIEnv *env, jclass cls, jlong handle,
                                                                          jlongArray sizes, jlongArray strides,
                                                                          jlong offset) {
    jsize ndim = (*env)->GetArrayLength(env, sizes);
    int64_t dims[16];
    int64_t steps[16];
    if (ndim > 16 || (*env)->GetArrayLength(env, strides) != ndim) {
        throw_state(env, "view: sizes and strides must have the same length, at most 16", NULL);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, sizes, 0, ndim, (jlong *)dims);
    (*env)->GetLongArrayRegion(env, strides, 0, ndim, (jlong *)steps);
    Tensor v = NULL;
    if (failed(env, t_reinterpret((Tensor)(intptr_t)handle, ndim, dims, steps, offset, &v), "aoti_torch__reinterpret_tensor")) {
        return 0;
    }
    return (jlong)(intptr_t)v;
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_copy(JNIEnv *env, jclass cls, jlong dst, jlong src,
                                                                          jint index, jlong stream) {
    void *guard = NULL;
    if (begin_stream(env, stream, index, &guard)) {
        failed(env, t_copy((Tensor)(intptr_t)dst, (Tensor)(intptr_t)src, 0), "aoti_torch_copy_");
        end_stream(guard);
    }
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_freeTensor(JNIEnv *env, jclass cls, jlong handle) {
    if (handle != 0) {
        failed(env, t_delete((Tensor)(intptr_t)handle), "aoti_torch_delete_tensor_object");
    }
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_loadGraph(JNIEnv *env, jclass cls, jstring library,
                                                                               jstring device, jstring cubin_dir,
                                                                               jlong stream) {
    const char *lib = (*env)->GetStringUTFChars(env, library, NULL);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    char detail[1536] = "";
    char lib_name[1024];
    snprintf(lib_name, sizeof lib_name, "%s", lib);
    if (h == NULL) {
        snprintf(detail, sizeof detail, "%s", dlerror());
    }
    (*env)->ReleaseStringUTFChars(env, library, lib);
    if (h == NULL) {
        throw_state(env, "cannot load the graph's library", detail);
        return 0;
    }
    Graph *g = calloc(1, sizeof(Graph));
    int32_t (*create)(void **, size_t, const char *, const char *) =
        (int32_t (*)(void **, size_t, const char *, const char *))dlsym(h, "AOTInductorModelContainerCreateWithDevice");
    int32_t (*num_inputs)(void *, size_t *) = (int32_t (*)(void *, size_t *))dlsym(h, "AOTInductorModelContainerGetNumInputs");
    int32_t (*num_outputs)(void *, size_t *) = (int32_t (*)(void *, size_t *))dlsym(h, "AOTInductorModelContainerGetNumOutputs");
    *(void **)(&g->run) = dlsym(h, "AOTInductorModelContainerRun");
    *(void **)(&g->run_single) = dlsym(h, "AOTInductorModelContainerRunSingleThreaded");
    pthread_mutex_init(&g->lock, NULL);
    *(void **)(&g->destroy) = dlsym(h, "AOTInductorModelContainerDelete");
    if (create == NULL || num_inputs == NULL || num_outputs == NULL || g->run == NULL || g->destroy == NULL) {
        free(g);
        dlclose(h);
        throw_state(env, "the library is not an AOTInductor graph (no AOTInductorModelContainer* entry points)", NULL);
        return 0;
    }
    const char *dev = (*env)->GetStringUTFChars(env, device, NULL);
    const char *cubins = (*env)->GetStringUTFChars(env, cubin_dir, NULL);
    g->cuda_index = strncmp(dev, "cuda", 4) == 0 ? (dev[4] == ':' ? (int32_t)atoi(dev + 5) : 0) : -1;
    int32_t err = create(&g->container, 1, dev, cubins);
    (*env)->ReleaseStringUTFChars(env, device, dev);
    (*env)->ReleaseStringUTFChars(env, cubin_dir, cubins);
    if (err != 0 || num_inputs(g->container, &g->inputs) != 0 || num_outputs(g->container, &g->outputs) != 0) {
        if (g->container != NULL) {
            g->destroy(g->container);
        }
        free(g);
        dlclose(h);
        throw_state(env, "AOTInductorModelContainerCreateWithDevice failed (libtorch printed the reason on stderr)", NULL);
        return 0;
    }
    g->library = h;
    g->stream = (void *)(intptr_t)stream;
    size_t len = strlen(lib_name); /* the path's tail: the package's directory names the stage */
    memcpy(g->name, lib_name + (len < sizeof g->name ? 0 : len - sizeof g->name + 1),
           len < sizeof g->name ? len + 1 : sizeof g->name);
    return (jlong)(intptr_t)g;
}

JNIEXPORT jintArray JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_graphArity(JNIEnv *env, jclass cls, jlong graph) {
    Graph *g = (Graph *)(intptr_t)graph;
    jint arity[2] = {(jint)g->inputs, (jint)g->outputs};
    jintArray out = (*env)->NewIntArray(env, 2);
    if (out != NULL) {
        (*env)->SetIntArrayRegion(env, out, 0, 2, arity);
    }
    return out;
}

/* checks the arity and reads the borrowed input handles into borrowed[] */
static int read_inputs(JNIEnv *env, Graph *g, jlongArray inputs, jlongArray outputs, jlong *borrowed) {
    jsize n_in = (*env)->GetArrayLength(env, inputs);
    jsize n_out = (*env)->GetArrayLength(env, outputs);
    if ((size_t)n_in != g->inputs || (size_t)n_out != g->outputs || n_in > 64 || n_out > 64) {
        char detail[160];
        snprintf(detail, sizeof detail, "the graph takes %zu inputs and gives %zu outputs (at most 64), got %d and %d",
                 g->inputs, g->outputs, (int)n_in, (int)n_out);
        throw_state(env, "runGraph", detail);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, inputs, 0, n_in, borrowed);
    return 1;
}

/*
 * Runs the container on stream (the model's, a capture stream, or NULL: the device's default) with fresh aliases of the
 * borrowed inputs (the graph steals its inputs; Java keeps its own handles). The graph's device
 * is made current on this thread: a thread that never selected a device (Mirror-SD's draft thread)
 * has device 0 current, and a graph of cuda:1 launched from it failed with "invalid resource handle".
 * Returns the container's error code; throws (and returns -1) when a handle could not be made.
 */
static int32_t run_container(JNIEnv *env, Graph *g, const jlong *borrowed, Tensor *out, void *stream) {
    Tensor in[64];
    for (size_t i = 0; i < g->inputs; i++) {
        if (failed(env, t_new_handle((Tensor)(intptr_t)borrowed[i], &in[i]), "aoti_torch_new_tensor_handle")) {
            for (size_t j = 0; j < i; j++) {
                t_delete(in[j]);
            }
            return -1;
        }
    }
    void *guard = NULL;
    if (g->cuda_index >= 0 && t_cuda_guard_new != NULL && t_cuda_guard_delete != NULL
        && failed(env, t_cuda_guard_new(g->cuda_index, &guard), "aoti_torch_create_cuda_guard")) {
        for (size_t j = 0; j < g->inputs; j++) {
            t_delete(in[j]);
        }
        return -1;
    }
    /* the run's stream current too: what the graph allocates (outputs, workspace) is that stream's */
    void *stream_guard = NULL;
    if (!begin_stream(env, (jlong)(intptr_t)stream, g->cuda_index, &stream_guard)) {
        for (size_t j = 0; j < g->inputs; j++) {
            t_delete(in[j]);
        }
        if (guard != NULL) {
            t_cuda_guard_delete(guard);
        }
        return -1;
    }
    int32_t err;
    if (g->run_single != NULL) {
        pthread_mutex_lock(&g->lock);
        /* only runs on the model's stream are profiled: the others are a capture and the run before it */
        double began = g->cuda_index >= 0 && stream == g->stream ? profile_begin(&g->eager, stream) : -1;
        err = g->run_single(g->container, in, g->inputs, out, g->outputs, stream, NULL);
        profile_end(&g->eager, began, stream);
        pthread_mutex_unlock(&g->lock);
    } else {
        err = g->run(g->container, in, g->inputs, out, g->outputs, stream, NULL);
    }
    end_stream(stream_guard);
    if (guard != NULL) {
        t_cuda_guard_delete(guard); /* restores the thread's previous device */
    }
    return err;
}

static void hand_out(JNIEnv *env, jlongArray outputs, Tensor *out, size_t n) {
    jlong handles[64];
    for (size_t i = 0; i < n; i++) {
        handles[i] = (jlong)(intptr_t)out[i];
    }
    (*env)->SetLongArrayRegion(env, outputs, 0, (jsize)n, handles);
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_runGraph(JNIEnv *env, jclass cls, jlong graph,
                                                                             jlongArray inputs, jlongArray outputs) {
    Graph *g = (Graph *)(intptr_t)graph;
    jlong borrowed[64];
    Tensor out[64];
    if (!read_inputs(env, g, inputs, outputs, borrowed)) {
        return;
    }
    int32_t err = run_container(env, g, borrowed, out, g->stream);
    if (err > 0) {
        throw_state(env, "AOTInductorModelContainerRun failed (libtorch printed the reason on stderr)", NULL);
    }
    if (err == 0) {
        hand_out(env, outputs, out, g->outputs);
    }
}

/* ---------------------------------------------------------------------------------------------
 * CUDA graphs. A Step is one graph at one window size: the first run is eager; the second, with
 * the inputs at the same addresses and sizes, is captured on the step's own stream and replayed
 * from then on (one cudaGraphLaunch instead of hundreds of kernel launches). The caller keeps the
 * inputs where they were and writes new values into them.
 *
 * Memory: PyTorch's caching allocator hands a block back only to allocations on the stream it was
 * allocated on. The capture runs with the step's stream current, so the graph's intermediates come
 * from that stream's pool, which nothing else allocates from: they stay reserved for the replays.
 * The outputs are kept alive by the step (the caller gets aliases); new inputs at other addresses
 * re-capture. Only an allocator that empties its cache (out of memory) breaks this.
 */
typedef struct {
    Graph *g;
    void *stream;    /* non-blocking, created at the first capture */
    void *exec;      /* cudaGraphExec_t, or NULL */
    Tensor out[64];  /* the captured run's outputs, owned */
    void *ptr[64];   /* each input's data address at the last run */
    int64_t size[64][4];
    int64_t ndim[64];
    int seen;        /* the last run's inputs are recorded */
    int disabled;    /* capture failed once: eager from then on */
} Step;

JNIEXPORT jstring JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_cudaGraphsUnavailable(JNIEnv *env, jclass cls) {
    return graphs_unavailable == NULL ? NULL : (*env)->NewStringUTF(env, graphs_unavailable);
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_stepNew(JNIEnv *env, jclass cls, jlong graph) {
    Graph *g = (Graph *)(intptr_t)graph;
    if (graphs_unavailable != NULL || g->cuda_index < 0) {
        throw_state(env, "CUDA graphs unavailable", g->cuda_index < 0 ? "the graph runs on the CPU" : graphs_unavailable);
        return 0;
    }
    Step *s = calloc(1, sizeof(Step));
    s->g = g;
    return (jlong)(intptr_t)s;
}

static void step_release(Step *s) {
    if (s->exec != NULL) {
        cuda_exec_destroy(s->exec);
        s->exec = NULL;
        for (size_t i = 0; i < s->g->outputs; i++) {
            t_delete(s->out[i]);
        }
    }
}

/* 1 when every input's address and sizes equal the last run's; records them either way */
static int same_inputs(Step *s, const jlong *borrowed) {
    int same = s->seen;
    for (size_t i = 0; i < s->g->inputs; i++) {
        Tensor t = (Tensor)(intptr_t)borrowed[i];
        void *p = NULL;
        int64_t nd = 0;
        int64_t *sz = NULL;
        t_data_ptr(t, &p);
        t_dim(t, &nd);
        t_sizes(t, &sz);
        if (nd > 4) {
            nd = 4; /* graph inputs here have at most 2 dimensions, the cache 5: its address decides */
        }
        if (p != s->ptr[i] || nd != s->ndim[i] || memcmp(sz, s->size[i], nd * sizeof(int64_t)) != 0) {
            same = 0;
        }
        s->ptr[i] = p;
        s->ndim[i] = nd;
        memcpy(s->size[i], sz, nd * sizeof(int64_t));
    }
    s->seen = 1;
    return same;
}

static int step_capture(JNIEnv *env, Step *s, const jlong *borrowed) {
    Graph *g = s->g;
    char why[512] = "";
    void *device_guard = NULL;
    if (failed(env, t_cuda_guard_new(g->cuda_index, &device_guard), "aoti_torch_create_cuda_guard")) {
        return -1;
    }
    cudaError e = 0;
    if (s->stream == NULL && (e = cuda_stream_create(&s->stream, CUDA_STREAM_NON_BLOCKING)) != 0) {
        snprintf(why, sizeof why, "cudaStreamCreateWithFlags: %s", cuda_error_string(e));
    }
    void *stream_guard = NULL;
    void *current = NULL;
    if (why[0] == 0 && (t_stream_guard_new(s->stream, g->cuda_index, &stream_guard) != 0
                        || t_current_stream(g->cuda_index, &current) != 0 || current != s->stream)) {
        snprintf(why, sizeof why, "libtorch's stream guard did not make the capture stream current");
    }
    void *captured = NULL;
    int32_t err = 0;
    int have_outputs = 0;
    if (why[0] == 0) {
        /* One run on the capture stream first, ordered after the model stream's writes into the inputs
         * (it recomputes what the eager run did, the same K/V into the same slots). cuBLAS(Lt) keeps a
         * workspace per (handle, stream); asked for first under capture, the GEMMs get none and fall back
         * to split-K-free kernels: the 8B shape's one-row step ran 9.5 ms graphed against 7.5 eager. */
        Tensor warm[64];
        if ((e = cuda_stream_sync(g->stream)) != 0) {
            snprintf(why, sizeof why, "cudaStreamSynchronize: %s", cuda_error_string(e));
        } else if ((err = run_container(env, g, borrowed, warm, s->stream)) != 0) {
            snprintf(why, sizeof why, "the run on the capture stream before the capture failed");
        } else {
            for (size_t i = 0; i < g->outputs; i++) {
                t_delete(warm[i]);
            }
            if ((e = cuda_stream_sync(s->stream)) != 0) {
                snprintf(why, sizeof why, "cudaStreamSynchronize: %s", cuda_error_string(e));
            }
        }
    }
    if (why[0] == 0) {
        if ((e = cuda_begin_capture(s->stream, CUDA_CAPTURE_RELAXED)) != 0) {
            snprintf(why, sizeof why, "cudaStreamBeginCapture: %s", cuda_error_string(e));
        } else {
            err = run_container(env, g, borrowed, s->out, s->stream);
            have_outputs = err == 0;
            e = cuda_end_capture(s->stream, &captured);
            if (err != 0) {
                snprintf(why, sizeof why, "the graph's run failed under capture");
            } else if (e != 0) {
                snprintf(why, sizeof why, "cudaStreamEndCapture: %s", cuda_error_string(e));
            }
        }
    }
    if (stream_guard != NULL) {
        t_stream_guard_delete(stream_guard);
    }
    if (why[0] == 0 && (e = cuda_instantiate(&s->exec, captured, 0)) != 0) {
        snprintf(why, sizeof why, "cudaGraphInstantiateWithFlags: %s", cuda_error_string(e));
        s->exec = NULL;
    }
    if (captured != NULL) {
        cuda_graph_destroy(captured);
    }
    t_cuda_guard_delete(device_guard);
    if (why[0] != 0) {
        if (have_outputs) {
            for (size_t i = 0; i < g->outputs; i++) {
                t_delete(s->out[i]);
            }
        }
        cuda_last_error(); /* clears the sticky error of the failed capture */
        (*env)->ExceptionClear(env);
        fprintf(stderr, "mirror-sd: CUDA graph capture failed, running this graph eagerly: %s\n", why);
        s->disabled = 1;
        return 0;
    }
    return 1;
}

static int step_launch(JNIEnv *env, Step *s, jlongArray outputs) {
    void *device_guard = NULL;
    if (failed(env, t_cuda_guard_new(s->g->cuda_index, &device_guard), "aoti_torch_create_cuda_guard")) {
        return 0;
    }
    /* the model's stream, where every other operation on this tensor memory runs: ordered after the
     * caller's writes into the inputs and before its reads of the outputs */
    void *stream = s->g->stream;
    double began = profile_begin(&s->g->replay, stream); /* one sequence replays a model's graphs at a time */
    cudaError e = cuda_graph_launch(s->exec, stream);
    profile_end(&s->g->replay, began, stream);
    t_cuda_guard_delete(device_guard);
    if (e != 0) {
        throw_state(env, "cudaGraphLaunch failed", cuda_error_string(e));
        return 0;
    }
    Tensor aliases[64];
    for (size_t i = 0; i < s->g->outputs; i++) {
        if (failed(env, t_new_handle(s->out[i], &aliases[i]), "aoti_torch_new_tensor_handle")) {
            for (size_t j = 0; j < i; j++) {
                t_delete(aliases[j]);
            }
            return 0;
        }
    }
    hand_out(env, outputs, aliases, s->g->outputs);
    return 1;
}

/*
 * Runs a step: 0 = ran eagerly, 1 = captured now and launched, 2 = replayed. The outputs are new
 * handles in every case (aliases of the step's own tensors when captured or replayed).
 */
JNIEXPORT jint JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_stepRun(JNIEnv *env, jclass cls, jlong step,
                                                                            jlongArray inputs, jlongArray outputs) {
    Step *s = (Step *)(intptr_t)step;
    jlong borrowed[64];
    if (!read_inputs(env, s->g, inputs, outputs, borrowed)) {
        return 0;
    }
    int same = same_inputs(s, borrowed);
    if (s->exec != NULL && same) {
        return step_launch(env, s, outputs) ? 2 : 0;
    }
    step_release(s);
    if (same && !s->disabled && s->g->run_single != NULL) {
        /* the previous run was eager with these inputs: its kernels are loaded, capture now */
        int captured = step_capture(env, s, borrowed);
        if (captured < 0) {
            return 0;
        }
        if (captured == 1) {
            return step_launch(env, s, outputs) ? 1 : 0;
        }
    }
    Tensor out[64];
    int32_t err = run_container(env, s->g, borrowed, out, s->g->stream);
    if (err > 0) {
        throw_state(env, "AOTInductorModelContainerRun failed (libtorch printed the reason on stderr)", NULL);
    }
    if (err == 0) {
        hand_out(env, outputs, out, s->g->outputs);
    }
    return 0;
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_stepFree(JNIEnv *env, jclass cls, jlong step) {
    Step *s = (Step *)(intptr_t)step;
    if (s != NULL) {
        step_release(s);
        /* the stream stays: blocks of the caching allocator may still be cached under it */
        free(s);
    }
}

/* write_into with a model's stream current */
static void write_on_stream(JNIEnv *env, jlong tensor, jarray data, int is_float, jint index, jlong stream) {
    void *guard = NULL;
    if (begin_stream(env, stream, index, &guard)) {
        write_into(env, (Tensor)(intptr_t)tensor, data, is_float);
        end_stream(guard);
    }
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_writeFloats(JNIEnv *env, jclass cls, jlong tensor,
                                                                                jfloatArray data, jint index,
                                                                                jlong stream) {
    write_on_stream(env, tensor, data, 1, index, stream);
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_writeLongs(JNIEnv *env, jclass cls, jlong tensor,
                                                                               jlongArray data, jint index,
                                                                               jlong stream) {
    write_on_stream(env, tensor, data, 0, index, stream);
}

/* fills a tensor with zeros (through a zeroed host tensor of its shape and dtype) */
JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_zero(JNIEnv *env, jclass cls, jlong handle, jint index,
                                                                         jlong stream) {
    Tensor dst = (Tensor)(intptr_t)handle;
    int32_t dtype = 0;
    TorchError (*get_dtype)(Tensor, int32_t *) = (TorchError (*)(Tensor, int32_t *))dlsym(RTLD_DEFAULT, "aoti_torch_get_dtype");
    if (get_dtype == NULL) {
        throw_state(env, "libtorch lacks aoti_torch_get_dtype", NULL);
        return;
    }
    if (failed(env, get_dtype(dst, &dtype), "aoti_torch_get_dtype")) {
        return;
    }
    void *p = NULL;
    int64_t numel = 0;
    Tensor host = host_like(env, dst, dtype, -1, &p, &numel);
    if (host == NULL) {
        return;
    }
    int64_t width = dtype == t_dtype_float32() ? 4 : dtype == t_dtype_int64() ? 8 : 2;
    memset(p, 0, (size_t)(numel * width));
    void *guard = NULL;
    if (begin_stream(env, stream, index, &guard)) {
        failed(env, t_copy(dst, host, 0), "aoti_torch_copy_ (zeros)");
        end_stream(guard);
    }
    t_delete(host);
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_engine_aoti_AotiNative_freeGraph(JNIEnv *env, jclass cls, jlong graph) {
    Graph *g = (Graph *)(intptr_t)graph;
    if (g == NULL) {
        return;
    }
    g->destroy(g->container);
    profile_print(g->name, "eager", &g->eager);
    profile_print(g->name, "graph replays", &g->replay);
    pthread_mutex_destroy(&g->lock);
    /* the library stays loaded: CUDA kernels it registered may outlive the container */
    free(g);
}
