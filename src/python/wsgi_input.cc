// wsgi.input: a file-like stream over the request body (PEP 3333 3.3 input
// stream: read, readline, readlines, iteration). Reads block on the socket
// with the GIL released.
#include <string>

#include "python/wsgi_streams.h"

namespace qilin::python {

namespace {

struct InputStream {
  PyObject_HEAD
  worker::BodyReader* reader;  // null once the request is over
};

// The next available body bytes; empty at the end of the body. Null with a
// Python OSError set when the client went away or broke the framing.
bool next_bytes(InputStream* self, std::string_view* out) {
  *out = {};
  if (!self->reader) return true;
  Result<std::string_view> r = std::string_view();
  {
    GilRelease unlocked;
    r = self->reader->peek();
  }
  if (!r) {
    PyErr_SetString(PyExc_OSError, r.message().c_str());
    return false;
  }
  *out = *r;
  return true;
}

// Reads up to `limit` bytes (< 0: all), stopping after a newline when
// `line` is set.
PyObject* read_impl(InputStream* self, Py_ssize_t limit, bool line) {
  std::string acc;
  while (limit < 0 || Py_ssize_t(acc.size()) < limit) {
    std::string_view chunk;
    if (!next_bytes(self, &chunk)) return nullptr;
    if (chunk.empty()) break;
    size_t take = chunk.size();
    if (limit >= 0) take = std::min(take, size_t(limit) - acc.size());
    bool done = false;
    if (line) {
      size_t nl = chunk.substr(0, take).find('\n');
      if (nl != std::string_view::npos) {
        take = nl + 1;
        done = true;
      }
    }
    if (acc.empty() && (done || (limit >= 0 && Py_ssize_t(take) == limit))) {
      PyObject* bytes = PyBytes_FromStringAndSize(chunk.data(), Py_ssize_t(take));
      self->reader->consume(take);
      return bytes;
    }
    acc.append(chunk.data(), take);
    self->reader->consume(take);
    if (done) break;
  }
  return PyBytes_FromStringAndSize(acc.data(), Py_ssize_t(acc.size()));
}

bool parse_size(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t* size) {
  *size = -1;
  if (nargs > 1) {
    PyErr_SetString(PyExc_TypeError, "expected at most one argument");
    return false;
  }
  if (nargs == 1 && args[0] != Py_None) {
    *size = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
    if (*size == -1 && PyErr_Occurred()) return false;
  }
  return true;
}

PyObject* input_read(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t size;
  if (!parse_size(args, nargs, &size)) return nullptr;
  return read_impl(reinterpret_cast<InputStream*>(self), size, false);
}

PyObject* input_readline(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t size;
  if (!parse_size(args, nargs, &size)) return nullptr;
  return read_impl(reinterpret_cast<InputStream*>(self), size, true);
}

PyObject* input_readlines(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t hint;
  if (!parse_size(args, nargs, &hint)) return nullptr;
  PyRef lines = PyRef::steal(PyList_New(0));
  if (!lines) return nullptr;
  Py_ssize_t total = 0;
  while (true) {
    PyRef line = PyRef::steal(read_impl(reinterpret_cast<InputStream*>(self), -1, true));
    if (!line) return nullptr;
    if (PyBytes_GET_SIZE(line.get()) == 0) break;
    total += PyBytes_GET_SIZE(line.get());
    if (PyList_Append(lines.get(), line.get()) != 0) return nullptr;
    if (hint > 0 && total >= hint) break;
  }
  return lines.release();
}

PyObject* input_iter(PyObject* self) { return Py_NewRef(self); }

PyObject* input_next(PyObject* self) {
  PyObject* line = read_impl(reinterpret_cast<InputStream*>(self), -1, true);
  if (line && PyBytes_GET_SIZE(line) == 0) {
    Py_DECREF(line);
    return nullptr;  // StopIteration
  }
  return line;
}

PyMethodDef input_methods[] = {
    {"read", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_read)), METH_FASTCALL,
     "read([size]) -> bytes"},
    {"readline", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_readline)),
     METH_FASTCALL, "readline([size]) -> bytes"},
    {"readlines", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_readlines)),
     METH_FASTCALL, "readlines([hint]) -> list of bytes"},
    {nullptr, nullptr, 0, nullptr}};

PyTypeObject* input_type = nullptr;

}  // namespace

bool init_input_type() {
  static PyType_Slot slots[] = {
      {Py_tp_doc, const_cast<char*>("wsgi.input: the request body, streamed from the socket")},
      {Py_tp_iter, reinterpret_cast<void*>(input_iter)},
      {Py_tp_iternext, reinterpret_cast<void*>(input_next)},
      {Py_tp_methods, input_methods},
      {0, nullptr}};
  static PyType_Spec spec = {"qilin.InputStream", sizeof(InputStream), 0, Py_TPFLAGS_DEFAULT, slots};
  input_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  return input_type != nullptr;
}

PyRef new_input_stream(worker::BodyReader* reader) {
  InputStream* self = PyObject_New(InputStream, input_type);
  if (!self) return PyRef();
  self->reader = reader;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void detach_input_stream(PyObject* input) {
  if (input) reinterpret_cast<InputStream*>(input)->reader = nullptr;
}

}  // namespace qilin::python
