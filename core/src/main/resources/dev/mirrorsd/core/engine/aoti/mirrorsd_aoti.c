/*
 * mirror-sd's JNI shim for AOTInductor graphs (dev.mirrorsd.core.engine.aoti.AotiNative).
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
 */
#include <dlfcn.h>
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *Tensor; /* AtenTensorHandle */
typedef int32_t TorchError;

/* the aoti_torch_* functions used here, resolved from libtorch */
static TorchError (*t_empty_strided)(int64_t, const int64_t *, const int64_t *, int32_t, int32_t, int32_t, Tensor *);
static TorchError (*t_delete)(Tensor);
static TorchError (*t_new_handle)(Tensor, Tensor *);
static TorchError (*t_reinterpret)(Tensor, int64_t, const int64_t *, const int64_t *, int64_t, Tensor *);
static TorchError (*t_copy)(Tensor, Tensor, int32_t);
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

/* one compiled graph: its library and model container */
typedef struct {
    void *library;
    void *container;
    int32_t (*run)(void *, Tensor *, size_t, Tensor *, size_t, void *, void *);
    int32_t (*destroy)(void *);
    size_t inputs;
    size_t outputs;
    int32_t cuda_index; /* the graph's CUDA device, or -1 (CPU) */
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

JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_openLibraries(JNIEnv *env, jclass cls,
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
}

/* CUDA devices the driver sees; 0 without a driver. Uses the driver API (libcuda.so.1). */
JNIEXPORT jint JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_cudaDeviceCount(JNIEnv *env, jclass cls) {
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

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_empty(JNIEnv *env, jclass cls, jlongArray sizes,
                                                                           jint dtype, jint device, jint index) {
    jsize ndim = (*env)->GetArrayLength(env, sizes);
    int64_t dims[16];
    if (ndim > 16) {
        throw_state(env, "tensors of more than 16 dimensions are not supported", NULL);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, sizes, 0, ndim, (jlong *)dims);
    return (jlong)(intptr_t)empty(env, ndim, dims, dtype_code(dtype), device_code(device), index);
}

/* a new tensor on (device, index) holding a Java array's contents: float[] (dtype 0) or long[] (dtype 1) */
static jlong upload(JNIEnv *env, jarray data, jlongArray sizes, jint dtype, jint device, jint index) {
    jsize ndim = (*env)->GetArrayLength(env, sizes);
    int64_t dims[16];
    if (ndim > 16) {
        throw_state(env, "tensors of more than 16 dimensions are not supported", NULL);
        return 0;
    }
    (*env)->GetLongArrayRegion(env, sizes, 0, ndim, (jlong *)dims);
    jsize n = (*env)->GetArrayLength(env, data);
    Tensor host = empty(env, ndim, dims, dtype_code(dtype), t_device_cpu(), 0);
    if (host == NULL) {
        return 0;
    }
    void *p = NULL;
    if (failed(env, t_data_ptr(host, &p), "aoti_torch_get_data_ptr")) {
        t_delete(host);
        return 0;
    }
    if (dtype == 0) {
        (*env)->GetFloatArrayRegion(env, (jfloatArray)data, 0, n, (jfloat *)p);
    } else {
        (*env)->GetLongArrayRegion(env, (jlongArray)data, 0, n, (jlong *)p);
    }
    if (device == 0) {
        return (jlong)(intptr_t)host;
    }
    Tensor dev = empty(env, ndim, dims, dtype_code(dtype), device_code(device), index);
    if (dev == NULL) {
        t_delete(host);
        return 0;
    }
    TorchError err = t_copy(dev, host, 0);
    t_delete(host);
    if (failed(env, err, "aoti_torch_copy_ (host to device)")) {
        t_delete(dev);
        return 0;
    }
    return (jlong)(intptr_t)dev;
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_fromFloats(JNIEnv *env, jclass cls, jfloatArray data,
                                                                                jlongArray sizes, jint device, jint index) {
    return upload(env, data, sizes, 0, device, index);
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_fromLongs(JNIEnv *env, jclass cls, jlongArray data,
                                                                               jlongArray sizes, jint device, jint index) {
    return upload(env, data, sizes, 1, device, index);
}

/* copies a tensor of any dtype, device and strides into out (row-major float32) */
JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_toFloats(JNIEnv *env, jclass cls, jlong handle,
                                                                             jfloatArray out) {
    Tensor t = (Tensor)(intptr_t)handle;
    int64_t ndim = 0;
    int64_t *sizes = NULL;
    if (failed(env, t_dim(t, &ndim), "aoti_torch_get_dim") || failed(env, t_sizes(t, &sizes), "aoti_torch_get_sizes")) {
        return;
    }
    int64_t numel = 1;
    for (int64_t d = 0; d < ndim; d++) {
        numel *= sizes[d];
    }
    if (numel != (*env)->GetArrayLength(env, out)) {
        throw_state(env, "toFloats: the array's length differs from the tensor's element count", NULL);
        return;
    }
    Tensor host = empty(env, (jsize)ndim, sizes, t_dtype_float32(), t_device_cpu(), 0);
    if (host == NULL) {
        return;
    }
    void *p = NULL;
    if (!failed(env, t_copy(host, t, 0), "aoti_torch_copy_ (to host)")
        && !failed(env, t_data_ptr(host, &p), "aoti_torch_get_data_ptr")) {
        (*env)->SetFloatArrayRegion(env, out, 0, (jsize)numel, (const jfloat *)p);
    }
    t_delete(host);
}

JNIEXPORT jlongArray JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_sizes(JNIEnv *env, jclass cls, jlong handle) {
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
JNIEXPORT jlong JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_view(JNIEnv *env, jclass cls, jlong handle,
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

JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_copy(JNIEnv *env, jclass cls, jlong dst, jlong src) {
    failed(env, t_copy((Tensor)(intptr_t)dst, (Tensor)(intptr_t)src, 0), "aoti_torch_copy_");
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_freeTensor(JNIEnv *env, jclass cls, jlong handle) {
    if (handle != 0) {
        failed(env, t_delete((Tensor)(intptr_t)handle), "aoti_torch_delete_tensor_object");
    }
}

JNIEXPORT jlong JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_loadGraph(JNIEnv *env, jclass cls, jstring library,
                                                                               jstring device, jstring cubin_dir) {
    const char *lib = (*env)->GetStringUTFChars(env, library, NULL);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    char detail[1536] = "";
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
    return (jlong)(intptr_t)g;
}

JNIEXPORT jintArray JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_graphArity(JNIEnv *env, jclass cls, jlong graph) {
    Graph *g = (Graph *)(intptr_t)graph;
    jint arity[2] = {(jint)g->inputs, (jint)g->outputs};
    jintArray out = (*env)->NewIntArray(env, 2);
    if (out != NULL) {
        (*env)->SetIntArrayRegion(env, out, 0, 2, arity);
    }
    return out;
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_runGraph(JNIEnv *env, jclass cls, jlong graph,
                                                                             jlongArray inputs, jlongArray outputs) {
    Graph *g = (Graph *)(intptr_t)graph;
    jsize n_in = (*env)->GetArrayLength(env, inputs);
    jsize n_out = (*env)->GetArrayLength(env, outputs);
    if ((size_t)n_in != g->inputs || (size_t)n_out != g->outputs) {
        char detail[128];
        snprintf(detail, sizeof detail, "the graph takes %zu inputs and gives %zu outputs, got %d and %d", g->inputs,
                 g->outputs, (int)n_in, (int)n_out);
        throw_state(env, "runGraph", detail);
        return;
    }
    Tensor in[64];
    Tensor out[64];
    jlong borrowed[64];
    if (n_in > 64 || n_out > 64) {
        throw_state(env, "runGraph: at most 64 inputs and outputs", NULL);
        return;
    }
    (*env)->GetLongArrayRegion(env, inputs, 0, n_in, borrowed);
    for (jsize i = 0; i < n_in; i++) {
        /* the graph steals its inputs: give it aliases, Java keeps its own handles */
        if (failed(env, t_new_handle((Tensor)(intptr_t)borrowed[i], &in[i]), "aoti_torch_new_tensor_handle")) {
            for (jsize j = 0; j < i; j++) {
                t_delete(in[j]);
            }
            return;
        }
    }
    /*
     * The graph's device must be current on this thread: a thread that never selected a device
     * (Mirror-SD's draft thread) has device 0 current, and a graph of cuda:1 launched from it
     * failed with "invalid resource handle".
     */
    void *guard = NULL;
    if (g->cuda_index >= 0 && t_cuda_guard_new != NULL && t_cuda_guard_delete != NULL
        && failed(env, t_cuda_guard_new(g->cuda_index, &guard), "aoti_torch_create_cuda_guard")) {
        for (jsize j = 0; j < n_in; j++) {
            t_delete(in[j]);
        }
        return;
    }
    int32_t err = g->run(g->container, in, (size_t)n_in, out, (size_t)n_out, NULL, NULL);
    if (guard != NULL) {
        t_cuda_guard_delete(guard); /* restores the thread's previous device */
    }
    if (err != 0) {
        throw_state(env, "AOTInductorModelContainerRun failed (libtorch printed the reason on stderr)", NULL);
        return;
    }
    jlong handles[64];
    for (jsize i = 0; i < n_out; i++) {
        handles[i] = (jlong)(intptr_t)out[i];
    }
    (*env)->SetLongArrayRegion(env, outputs, 0, n_out, handles);
}

JNIEXPORT void JNICALL Java_dev_mirrorsd_core_engine_aoti_AotiNative_freeGraph(JNIEnv *env, jclass cls, jlong graph) {
    Graph *g = (Graph *)(intptr_t)graph;
    if (g == NULL) {
        return;
    }
    g->destroy(g->container);
    /* the library stays loaded: CUDA kernels it registered may outlive the container */
    free(g);
}
