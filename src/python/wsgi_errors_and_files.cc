// wsgi.errors (writes to the error log) and wsgi.file_wrapper (PEP 3333
// 3.8.5: an iterable over a file-like object; the worker sends a real file
// with sendfile(2) instead of iterating it).
#include <unistd.h>

#include <cerrno>

#include "python/wsgi_streams.h"

namespace qilin::python {

namespace {

// ---- wsgi.errors ----

struct ErrorStream {
  PyObject_HEAD
  int fd;
};

void write_fd(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= size_t(w);
  }
}

PyObject* errors_write(PyObject* obj, PyObject* text) {
  Py_ssize_t n = 0;
  const char* utf8 = nullptr;
  if (PyUnicode_Check(text)) {
    utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (!utf8) return nullptr;
  } else if (PyBytes_Check(text)) {
    utf8 = PyBytes_AS_STRING(text);
    n = PyBytes_GET_SIZE(text);
  } else {
    PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s", Py_TYPE(text)->tp_name);
    return nullptr;
  }
  int fd = reinterpret_cast<ErrorStream*>(obj)->fd;
  {
    GilRelease unlocked;
    write_fd(fd, utf8, size_t(n));
  }
  return PyLong_FromSsize_t(n);
}

PyObject* errors_writelines(PyObject* obj, PyObject* lines) {
  PyRef it = PyRef::steal(PyObject_GetIter(lines));
  if (!it) return nullptr;
  while (PyRef line = PyRef::steal(PyIter_Next(it.get()))) {
    PyRef r = PyRef::steal(errors_write(obj, line.get()));
    if (!r) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* errors_flush(PyObject*, PyObject*) { Py_RETURN_NONE; }

PyMethodDef errors_methods[] = {
    {"write", errors_write, METH_O, "write(str) to the error log"},
    {"writelines", errors_writelines, METH_O, "writelines(iterable of str)"},
    {"flush", errors_flush, METH_NOARGS, "flush() (writes are unbuffered)"},
    {nullptr, nullptr, 0, nullptr}};

PyTypeObject* errors_type = nullptr;

// ---- wsgi.file_wrapper ----

struct FileWrapper {
  PyObject_HEAD
  PyObject* filelike;
  Py_ssize_t blksize;
};

int file_wrapper_init(PyObject* obj, PyObject* args, PyObject* kwargs) {
  auto* self = reinterpret_cast<FileWrapper*>(obj);
  static const char* kwlist[] = {"filelike", "blksize", nullptr};
  PyObject* filelike;
  Py_ssize_t blksize = 8192;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|n:FileWrapper", const_cast<char**>(kwlist),
                                   &filelike, &blksize)) {
    return -1;
  }
  Py_XSETREF(self->filelike, Py_NewRef(filelike));
  self->blksize = blksize > 0 ? blksize : 8192;
  return 0;
}

void file_wrapper_dealloc(PyObject* obj) {
  auto* self = reinterpret_cast<FileWrapper*>(obj);
  PyTypeObject* type = Py_TYPE(obj);
  Py_CLEAR(self->filelike);
  type->tp_free(obj);
  Py_DECREF(type);  // heap type instances own a reference to their type
}

PyObject* file_wrapper_iter(PyObject* self) { return Py_NewRef(self); }

PyObject* file_wrapper_next(PyObject* obj) {
  auto* self = reinterpret_cast<FileWrapper*>(obj);
  if (!self->filelike) return nullptr;
  PyObject* data = PyObject_CallMethod(self->filelike, "read", "n", self->blksize);
  if (!data) return nullptr;
  if (PyObject_Length(data) == 0) {
    Py_DECREF(data);
    return nullptr;
  }
  return data;
}

PyObject* file_wrapper_close(PyObject* obj, PyObject*) {
  auto* self = reinterpret_cast<FileWrapper*>(obj);
  if (self->filelike && PyObject_HasAttrString(self->filelike, "close")) {
    PyObject* r = PyObject_CallMethod(self->filelike, "close", nullptr);
    if (!r) return nullptr;
    Py_DECREF(r);
  }
  Py_RETURN_NONE;
}

PyMethodDef file_wrapper_methods[] = {
    {"close", file_wrapper_close, METH_NOARGS, "close the wrapped file"},
    {nullptr, nullptr, 0, nullptr}};

PyTypeObject* file_wrapper = nullptr;

}  // namespace

bool init_errors_and_file_types() {
  static PyType_Slot error_slots[] = {
      {Py_tp_doc, const_cast<char*>("wsgi.errors: text written here goes to the error log")},
      {Py_tp_methods, errors_methods},
      {0, nullptr}};
  static PyType_Spec error_spec = {"qilin.ErrorStream", sizeof(ErrorStream), 0, Py_TPFLAGS_DEFAULT,
                                   error_slots};
  errors_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&error_spec));
  if (!errors_type) return false;

  static PyType_Slot file_slots[] = {
      {Py_tp_doc, const_cast<char*>("FileWrapper(filelike, blksize=8192): wsgi.file_wrapper")},
      {Py_tp_new, reinterpret_cast<void*>(PyType_GenericNew)},
      {Py_tp_init, reinterpret_cast<void*>(file_wrapper_init)},
      {Py_tp_dealloc, reinterpret_cast<void*>(file_wrapper_dealloc)},
      {Py_tp_iter, reinterpret_cast<void*>(file_wrapper_iter)},
      {Py_tp_iternext, reinterpret_cast<void*>(file_wrapper_next)},
      {Py_tp_methods, file_wrapper_methods},
      {0, nullptr}};
  static PyType_Spec file_spec = {"qilin.FileWrapper", sizeof(FileWrapper), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, file_slots};
  file_wrapper = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&file_spec));
  return file_wrapper != nullptr;
}

PyRef new_error_stream(int log_fd) {
  ErrorStream* self = PyObject_New(ErrorStream, errors_type);
  if (!self) return PyRef();
  self->fd = log_fd;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

PyTypeObject* file_wrapper_type() { return file_wrapper; }

PyObject* file_wrapper_filelike(PyObject* object) {
  if (!file_wrapper || !PyObject_TypeCheck(object, file_wrapper)) return nullptr;
  return reinterpret_cast<FileWrapper*>(object)->filelike;
}

bool init_input_type();
bool init_start_response_type();

bool init_wsgi_types() {
  return init_input_type() && init_start_response_type() && init_errors_and_file_types();
}

}  // namespace qilin::python
