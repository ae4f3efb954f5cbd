/*
 * ragcore._native: the C extension of the example's RAG core. It reports the machine it was
 * compiled for and runs, and scores vectors with OpenMP (so the image needs libgomp1 at run time).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <omp.h>
#include <sys/utsname.h>

static PyObject *machine(PyObject *self, PyObject *args) {
    struct utsname u;
    if (uname(&u) != 0) return PyErr_SetFromErrno(PyExc_OSError);
    return PyUnicode_FromString(u.machine);
}

/* The dot product of [0, 1, ..., n-1] with itself, summed by OpenMP threads. */
static PyObject *score(PyObject *self, PyObject *args) {
    long n;
    if (!PyArg_ParseTuple(args, "l", &n)) return NULL;
    double sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (long i = 0; i < n; i++) sum += (double)i * (double)i;
    return PyFloat_FromDouble(sum);
}

static PyObject *threads(PyObject *self, PyObject *args) { return PyLong_FromLong(omp_get_max_threads()); }

static PyMethodDef methods[] = {
    {"machine", machine, METH_NOARGS, "uname machine of the running process"},
    {"score", score, METH_VARARGS, "sum of i*i for i < n, with OpenMP"},
    {"threads", threads, METH_NOARGS, "OpenMP threads available"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ragcore._native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
