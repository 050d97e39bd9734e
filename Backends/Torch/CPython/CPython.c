// Loads libpython at run time and fills the function table declared in
// include/CPython.h. See that header for why there is no <Python.h> here.

#include "CPython.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

MinoPythonAPI mino_py;
static int mino_py_loaded = 0;

static atomic_int mino_py_ready = 0;

int mino_py_is_loaded(void) { return mino_py_loaded; }
void mino_py_set_ready(void) { atomic_store_explicit(&mino_py_ready, 1, memory_order_release); }
int mino_py_is_ready(void) { return atomic_load_explicit(&mino_py_ready, memory_order_acquire); }

// Resolves one symbol into the table being built, or reports it missing.
#define MINO_RESOLVE(field, symbol)                                              \
    do {                                                                         \
        void *address = dlsym(handle, symbol);                                   \
        if (address == NULL) {                                                   \
            snprintf(error, error_size,                                          \
                     "%s does not export %s (is it CPython 3.8 or later?)",     \
                     path, symbol);                                              \
            dlclose(handle);                                                     \
            return -1;                                                           \
        }                                                                        \
        memcpy(&api.field, &address, sizeof(void *));                            \
    } while (0)

#define MINO_LOAD(name) MINO_RESOLVE(name, #name)

int mino_py_load(const char *path, char *error, size_t error_size) {
    if (mino_py_loaded) return 0;

    dlerror();
    // RTLD_NOW: fail here, with a message, rather than at some later call.
    // RTLD_GLOBAL: extension modules (torch._C, numpy) are linked against
    // libpython's symbols without naming the library; they must find them
    // in the global namespace.
    void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(error, error_size, "dlopen(%s) failed: %s", path, why ? why : "unknown error");
        return -1;
    }

    MinoPythonAPI api;
    memset(&api, 0, sizeof api);

    // Optional: removed from future CPythons; without it the interpreter
    // finds its standard library from its compiled-in prefix.
    api.Py_SetPythonHome = NULL;
    {
        void *address = dlsym(handle, "Py_SetPythonHome");
        memcpy(&api.Py_SetPythonHome, &address, sizeof(void *));
    }
    MINO_LOAD(Py_InitializeEx);
    MINO_LOAD(Py_IsInitialized);
    MINO_LOAD(Py_GetVersion);
    MINO_LOAD(PyEval_SaveThread);
    MINO_LOAD(PyEval_RestoreThread);
    MINO_LOAD(PyGILState_Check);
    MINO_LOAD(PyThreadState_Clear);
    MINO_LOAD(PyThreadState_Delete);
    MINO_LOAD(PyGILState_Ensure);
    MINO_LOAD(PyGILState_Release);

    MINO_LOAD(Py_IncRef);
    MINO_LOAD(Py_DecRef);

    MINO_LOAD(PyImport_ImportModule);
    MINO_LOAD(PyObject_GetAttr);
    MINO_LOAD(PyObject_SetAttr);
    MINO_LOAD(PyObject_GetItem);
    MINO_LOAD(PyObject_SetItem);
    MINO_LOAD(PyObject_Call);
    MINO_LOAD(PyObject_Str);
    MINO_LOAD(PyObject_Repr);
    MINO_LOAD(PyObject_IsTrue);
    MINO_LOAD(PyObject_Size);
    MINO_LOAD(PyObject_GetIter);
    MINO_LOAD(PyIter_Next);

    MINO_LOAD(PyTuple_New);
    MINO_LOAD(PyTuple_SetItem);
    MINO_LOAD(PyList_New);
    MINO_LOAD(PyList_SetItem);
    MINO_LOAD(PyDict_New);
    MINO_LOAD(PyDict_SetItem);
    MINO_LOAD(PyDict_SetItemString);

    MINO_LOAD(PyLong_FromLongLong);
    MINO_LOAD(PyLong_FromUnsignedLongLong);
    MINO_LOAD(PyLong_AsLongLong);
    MINO_LOAD(PyFloat_FromDouble);
    MINO_LOAD(PyFloat_AsDouble);
    MINO_LOAD(PyBool_FromLong);
    MINO_LOAD(PyUnicode_FromStringAndSize);
    MINO_LOAD(PyUnicode_AsUTF8AndSize);
    MINO_LOAD(PyBytes_FromStringAndSize);

    MINO_LOAD(PyErr_Occurred);
    MINO_LOAD(PyErr_Fetch);
    MINO_LOAD(PyErr_NormalizeException);
    MINO_LOAD(PyErr_Clear);

    MINO_LOAD(PyMemoryView_FromMemory);
    MINO_LOAD(PyObject_GetBuffer);
    MINO_LOAD(PyBuffer_Release);

    MINO_LOAD(Py_CompileString);
    MINO_LOAD(PyEval_EvalCode);

    // Py_None is a macro for &_Py_NoneStruct: the symbol's address is the object.
    MINO_RESOLVE(Py_None, "_Py_NoneStruct");

    // The handle is never closed: the interpreter is never finalized, and
    // unloading libpython under live objects would be fatal.
    mino_py = api;
    mino_py_loaded = 1;
    return 0;
}

// --- Kept thread states (see the header) -------------------------------------

typedef struct {
    MinoPyGILState state;       // from the outer PyGILState_Ensure
    PyThreadState *tstate;      // from PyEval_SaveThread right after it
} MinoKeptThreadState;

static pthread_key_t mino_thread_key;
static pthread_once_t mino_thread_key_once = PTHREAD_ONCE_INIT;
static int mino_thread_key_ok = 0;
static atomic_int mino_kept_count = 0;

// Runs when a thread that kept a state exits. By then glibc has already
// cleared every thread-specific value, CPython's own "this thread's state"
// key among them, so the kept state can no longer be re-entered through
// PyGILState. Instead: take the GIL with a fresh, registered state (so that
// code run while clearing — __del__ methods, extensions calling
// PyGILState_Ensure — finds one), clear and delete the kept state under it,
// then release the fresh one, which deletes it too.
static PyThreadState *mino_starting_tstate = NULL;

void mino_py_release_after_start(void) { mino_starting_tstate = mino_py.PyEval_SaveThread(); }

static void mino_thread_exit(void *value) {
    MinoKeptThreadState *kept = value;
    if (kept->tstate == mino_starting_tstate) {
        // The interpreter's first state: left in place (see the header).
        free(kept);
        atomic_fetch_sub(&mino_kept_count, 1);
        return;
    }
    MinoPyGILState state = mino_py.PyGILState_Ensure();
    mino_py.PyThreadState_Clear(kept->tstate);
    mino_py.PyThreadState_Delete(kept->tstate);
    mino_py.PyGILState_Release(state);
    free(kept);
    atomic_fetch_sub(&mino_kept_count, 1);
}

static void mino_make_thread_key(void) {
    mino_thread_key_ok = pthread_key_create(&mino_thread_key, mino_thread_exit) == 0;
}

MinoPyGILState mino_py_gil_ensure(void) {
    pthread_once(&mino_thread_key_once, mino_make_thread_key);
    // Keep a state only when this thread does not already hold the GIL
    // (the thread that is starting Python does, until it releases it).
    if (mino_thread_key_ok && pthread_getspecific(mino_thread_key) == NULL
        && !mino_py.PyGILState_Check()) {
        MinoKeptThreadState *kept = malloc(sizeof *kept);
        if (kept != NULL) {
            kept->state = mino_py.PyGILState_Ensure();
            kept->tstate = mino_py.PyEval_SaveThread();
            if (pthread_setspecific(mino_thread_key, kept) == 0) {
                atomic_fetch_add(&mino_kept_count, 1);
            } else {
                mino_py.PyEval_RestoreThread(kept->tstate);
                mino_py.PyGILState_Release(kept->state);
                free(kept);
            }
        }
    }
    return mino_py.PyGILState_Ensure();
}

void mino_py_gil_release(MinoPyGILState state) { mino_py.PyGILState_Release(state); }

int mino_py_kept_thread_states(void) { return atomic_load(&mino_kept_count); }
