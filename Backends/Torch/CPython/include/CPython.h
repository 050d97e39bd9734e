// CPython: the few pieces of CPython's C API that Mino's Python bridge uses,
// resolved at run time from a libpython opened with dlopen.
//
// This header deliberately does NOT include <Python.h>: the package must
// build on a machine without Python headers (or without Python at all), and
// the torch backend then says at run time that Python is missing.
// Everything below is declared by hand and mirrors the stable C API of
// CPython 3.8 and later. Objects are opaque; only pointers cross the
// boundary, and reference counts go through Py_IncRef / Py_DecRef (functions,
// not the macros), so the layout of PyObject never matters.
//
// Nothing here may be called before mino_py_load() has succeeded.

#ifndef MINO_CPYTHON_H
#define MINO_CPYTHON_H

#include <stddef.h>
#include <sys/types.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

// --- Types -----------------------------------------------------------------

/// PyObject: opaque; used only through pointers.
typedef struct _object PyObject;

/// PyThreadState: opaque; returned by PyEval_SaveThread.
typedef struct _ts PyThreadState;

/// Py_ssize_t (pyport.h): a signed size, ssize_t on every platform we build on.
typedef ssize_t Py_ssize_t;

/// PyGILState_STATE (pystate.h): an enum { PyGILState_LOCKED, PyGILState_UNLOCKED },
/// int-sized; only ever handed back to PyGILState_Release.
typedef int MinoPyGILState;

/// Py_buffer (object.h / pybuffer.h): this layout has been the same since
/// CPython 3.3 and is part of the stable ABI from 3.11.
typedef struct {
    void *_Nullable buf;                    // start of the memory
    PyObject *_Nullable obj;                // the exporter (owned by the view)
    Py_ssize_t len;                         // total bytes
    Py_ssize_t itemsize;                    // bytes per item
    int readonly;
    int ndim;
    char *_Nullable format;                 // struct-module format, "B" when NULL
    Py_ssize_t *_Nullable shape;            // ndim sizes
    Py_ssize_t *_Nullable strides;
    Py_ssize_t *_Nullable suboffsets;
    void *_Nullable internal;
} MinoPyBuffer;

// Flags for PyObject_GetBuffer (pybuffer.h).
#define MINO_PyBUF_WRITABLE      0x0001   // PyBUF_WRITABLE
#define MINO_PyBUF_FORMAT        0x0004   // PyBUF_FORMAT
#define MINO_PyBUF_ND            0x0008   // PyBUF_ND
#define MINO_PyBUF_STRIDES       (0x0010 | MINO_PyBUF_ND)        // PyBUF_STRIDES
#define MINO_PyBUF_C_CONTIGUOUS  (0x0020 | MINO_PyBUF_STRIDES)   // PyBUF_C_CONTIGUOUS

// Flags for PyMemoryView_FromMemory (pybuffer.h).
#define MINO_PyBUF_READ          0x100    // PyBUF_READ
#define MINO_PyBUF_WRITE         0x200    // PyBUF_WRITE

// Start symbols for Py_CompileString (compile.h).
#define MINO_Py_single_input     256      // Py_single_input
#define MINO_Py_file_input       257      // Py_file_input
#define MINO_Py_eval_input       258      // Py_eval_input

// --- The function table ----------------------------------------------------
// Each field has the name and signature of the CPython function it holds.
// A function returning PyObject* returns a NEW reference unless marked
// "borrowed"; NULL means an exception is set.

typedef struct {
    // Life cycle and the GIL
    void (*_Nullable Py_SetPythonHome)(const wchar_t *_Nonnull home);  // void Py_SetPythonHome(const wchar_t *): deprecated in 3.11, may be absent (NULL)
    void (*_Nonnull Py_InitializeEx)(int initsigs);                   // void Py_InitializeEx(int)
    int (*_Nonnull Py_IsInitialized)(void);                           // int Py_IsInitialized(void)
    const char *_Nonnull (*_Nonnull Py_GetVersion)(void);             // const char *Py_GetVersion(void)
    PyThreadState *_Nullable (*_Nonnull PyEval_SaveThread)(void);     // PyThreadState *PyEval_SaveThread(void)
    void (*_Nonnull PyEval_RestoreThread)(PyThreadState *_Nullable t); // void PyEval_RestoreThread(PyThreadState *)
    int (*_Nonnull PyGILState_Check)(void);                           // int PyGILState_Check(void)
    void (*_Nonnull PyThreadState_Clear)(PyThreadState *_Nonnull t);  // void PyThreadState_Clear(PyThreadState *)
    void (*_Nonnull PyThreadState_Delete)(PyThreadState *_Nonnull t); // void PyThreadState_Delete(PyThreadState *)
    MinoPyGILState (*_Nonnull PyGILState_Ensure)(void);               // PyGILState_STATE PyGILState_Ensure(void)
    void (*_Nonnull PyGILState_Release)(MinoPyGILState state);        // void PyGILState_Release(PyGILState_STATE)

    // Reference counts
    void (*_Nonnull Py_IncRef)(PyObject *_Nullable o);                // void Py_IncRef(PyObject *)
    void (*_Nonnull Py_DecRef)(PyObject *_Nullable o);                // void Py_DecRef(PyObject *)

    // Modules, attributes, items, calls
    PyObject *_Nullable (*_Nonnull PyImport_ImportModule)(const char *_Nonnull name);            // PyObject *PyImport_ImportModule(const char *)
    PyObject *_Nullable (*_Nonnull PyObject_GetAttr)(PyObject *_Nonnull o, PyObject *_Nonnull name);              // PyObject *PyObject_GetAttr(PyObject *, PyObject *)
    int (*_Nonnull PyObject_SetAttr)(PyObject *_Nonnull o, PyObject *_Nonnull name, PyObject *_Nullable v);      // int PyObject_SetAttr(PyObject *, PyObject *, PyObject *)
    PyObject *_Nullable (*_Nonnull PyObject_GetItem)(PyObject *_Nonnull o, PyObject *_Nonnull key);              // PyObject *PyObject_GetItem(PyObject *, PyObject *)
    int (*_Nonnull PyObject_SetItem)(PyObject *_Nonnull o, PyObject *_Nonnull key, PyObject *_Nonnull v);        // int PyObject_SetItem(PyObject *, PyObject *, PyObject *)
    PyObject *_Nullable (*_Nonnull PyObject_Call)(PyObject *_Nonnull callable, PyObject *_Nonnull args, PyObject *_Nullable kwargs); // PyObject *PyObject_Call(PyObject *, PyObject *, PyObject *)
    PyObject *_Nullable (*_Nonnull PyObject_Str)(PyObject *_Nonnull o);                          // PyObject *PyObject_Str(PyObject *)
    PyObject *_Nullable (*_Nonnull PyObject_Repr)(PyObject *_Nonnull o);                         // PyObject *PyObject_Repr(PyObject *)
    int (*_Nonnull PyObject_IsTrue)(PyObject *_Nonnull o);                                       // int PyObject_IsTrue(PyObject *)
    Py_ssize_t (*_Nonnull PyObject_Size)(PyObject *_Nonnull o);                                  // Py_ssize_t PyObject_Size(PyObject *)
    PyObject *_Nullable (*_Nonnull PyObject_GetIter)(PyObject *_Nonnull o);                      // PyObject *PyObject_GetIter(PyObject *)
    PyObject *_Nullable (*_Nonnull PyIter_Next)(PyObject *_Nonnull iter);                        // PyObject *PyIter_Next(PyObject *); NULL and no error at the end

    // Containers
    PyObject *_Nullable (*_Nonnull PyTuple_New)(Py_ssize_t size);                                // PyObject *PyTuple_New(Py_ssize_t)
    int (*_Nonnull PyTuple_SetItem)(PyObject *_Nonnull t, Py_ssize_t i, PyObject *_Nullable v);  // int PyTuple_SetItem(...): STEALS v, even on failure
    PyObject *_Nullable (*_Nonnull PyList_New)(Py_ssize_t size);                                 // PyObject *PyList_New(Py_ssize_t)
    int (*_Nonnull PyList_SetItem)(PyObject *_Nonnull l, Py_ssize_t i, PyObject *_Nullable v);   // int PyList_SetItem(...): STEALS v, even on failure
    PyObject *_Nullable (*_Nonnull PyDict_New)(void);                                            // PyObject *PyDict_New(void)
    int (*_Nonnull PyDict_SetItem)(PyObject *_Nonnull d, PyObject *_Nonnull k, PyObject *_Nonnull v);            // int PyDict_SetItem(...): does not steal
    int (*_Nonnull PyDict_SetItemString)(PyObject *_Nonnull d, const char *_Nonnull k, PyObject *_Nonnull v);    // int PyDict_SetItemString(...): does not steal

    // Numbers, strings, bytes
    PyObject *_Nullable (*_Nonnull PyLong_FromLongLong)(long long v);                            // PyObject *PyLong_FromLongLong(long long)
    PyObject *_Nullable (*_Nonnull PyLong_FromUnsignedLongLong)(unsigned long long v);           // PyObject *PyLong_FromUnsignedLongLong(unsigned long long)
    long long (*_Nonnull PyLong_AsLongLong)(PyObject *_Nonnull o);                               // long long PyLong_AsLongLong(PyObject *); -1 and an error on failure
    PyObject *_Nullable (*_Nonnull PyFloat_FromDouble)(double v);                                // PyObject *PyFloat_FromDouble(double)
    double (*_Nonnull PyFloat_AsDouble)(PyObject *_Nonnull o);                                   // double PyFloat_AsDouble(PyObject *); -1.0 and an error on failure
    PyObject *_Nullable (*_Nonnull PyBool_FromLong)(long v);                                     // PyObject *PyBool_FromLong(long)
    PyObject *_Nullable (*_Nonnull PyUnicode_FromStringAndSize)(const char *_Nullable s, Py_ssize_t size);        // PyObject *PyUnicode_FromStringAndSize(const char *, Py_ssize_t)
    const char *_Nullable (*_Nonnull PyUnicode_AsUTF8AndSize)(PyObject *_Nonnull o, Py_ssize_t *_Nullable size); // const char *PyUnicode_AsUTF8AndSize(PyObject *, Py_ssize_t *): borrowed
    PyObject *_Nullable (*_Nonnull PyBytes_FromStringAndSize)(const char *_Nullable s, Py_ssize_t size);          // PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t)

    // Exceptions
    PyObject *_Nullable (*_Nonnull PyErr_Occurred)(void);                                        // PyObject *PyErr_Occurred(void): borrowed
    void (*_Nonnull PyErr_Fetch)(PyObject *_Nullable *_Nonnull type, PyObject *_Nullable *_Nonnull value, PyObject *_Nullable *_Nonnull traceback); // void PyErr_Fetch(PyObject **, PyObject **, PyObject **): new references
    void (*_Nonnull PyErr_NormalizeException)(PyObject *_Nullable *_Nonnull type, PyObject *_Nullable *_Nonnull value, PyObject *_Nullable *_Nonnull traceback); // void PyErr_NormalizeException(PyObject **, PyObject **, PyObject **)
    void (*_Nonnull PyErr_Clear)(void);                                                          // void PyErr_Clear(void)

    // Buffers
    PyObject *_Nullable (*_Nonnull PyMemoryView_FromMemory)(char *_Nonnull mem, Py_ssize_t size, int flags);     // PyObject *PyMemoryView_FromMemory(char *, Py_ssize_t, int)
    int (*_Nonnull PyObject_GetBuffer)(PyObject *_Nonnull exporter, MinoPyBuffer *_Nonnull view, int flags);     // int PyObject_GetBuffer(PyObject *, Py_buffer *, int)
    void (*_Nonnull PyBuffer_Release)(MinoPyBuffer *_Nonnull view);                              // void PyBuffer_Release(Py_buffer *)

    // Running source text
    PyObject *_Nullable (*_Nonnull Py_CompileString)(const char *_Nonnull source, const char *_Nonnull filename, int start); // PyObject *Py_CompileString(const char *, const char *, int)
    PyObject *_Nullable (*_Nonnull PyEval_EvalCode)(PyObject *_Nonnull code, PyObject *_Nonnull globals, PyObject *_Nonnull locals); // PyObject *PyEval_EvalCode(PyObject *, PyObject *, PyObject *)

    // Singletons (data symbols, not functions): borrowed, never NULL once loaded.
    PyObject *_Nonnull Py_None;                                       // &_Py_NoneStruct, i.e. Py_None
} MinoPythonAPI;

/// The table. All zero until mino_py_load() succeeds; after that, read-only.
extern MinoPythonAPI mino_py;

/// Opens the shared libpython at `path` with dlopen(RTLD_NOW | RTLD_GLOBAL)
/// (global, so that extension modules such as torch's find the C API) and
/// resolves every entry of `mino_py`. Returns 0 on success. On failure it
/// returns -1, leaves `mino_py` untouched and writes a sentence saying what
/// went wrong (dlerror's text, or the missing symbol) into `error`.
/// Not thread-safe: the Swift side calls it once, under a lock.
int mino_py_load(const char *_Nonnull path, char *_Nonnull error, size_t error_size);

/// 1 once mino_py_load() has succeeded, else 0.
int mino_py_is_loaded(void);

/// Set once the interpreter is initialized (by the Swift side, under its
/// lock); read from any thread before taking the GIL. Atomic (release /
/// acquire), so a thread that sees 1 also sees the filled table.
void mino_py_set_ready(void);
int mino_py_is_ready(void);

// --- The GIL ----------------------------------------------------------------
// PyGILState_Ensure on a thread that has no Python thread state creates one,
// and the matching PyGILState_Release destroys it again: ~8 µs each time, on
// every call from a thread other than the one that started Python. So the
// first time a thread takes the GIL through mino_py_gil_ensure, it gets a
// thread state that it keeps (an outer PyGILState_Ensure whose GIL is then
// released with PyEval_SaveThread, leaving the state's count at 1); later
// Ensure/Release pairs on that thread only take and drop the GIL. A
// pthread-key destructor clears and deletes the kept state when the thread
// exits, so threads that come and go leave nothing behind.

/// PyGILState_Ensure, keeping a thread state for the calling thread (above).
MinoPyGILState mino_py_gil_ensure(void);
/// PyGILState_Release.
void mino_py_gil_release(MinoPyGILState state);
/// How many threads hold a kept thread state now (for leak checks).
int mino_py_kept_thread_states(void);
/// PyEval_SaveThread on the thread that started Python, remembering its state.
/// That state is the interpreter's built-in first one (`_initial_thread`): if
/// the starting thread exits (Python started on a worker thread, as `mino run`
/// does for a torch module) its kept state is not deleted, because once the
/// interpreter has no thread state at all CPython re-uses that struct for the
/// next one and aborts ("init_threadstate: thread state already initialized").
void mino_py_release_after_start(void);

#ifdef __cplusplus
}
#endif

#endif
