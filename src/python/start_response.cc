// start_response(status, response_headers, exc_info=None) and its write()
// callable (PEP 3333 3.4, 3.5), over a worker::ResponseWriter.
#include <string>

#include "python/wsgi_streams.h"
// After Python.h (which wsgi_streams.h includes):
#include <structmember.h>

namespace qilin::python {

bool latin1_view(PyObject* str, std::string_view* out) {
  if (!PyUnicode_Check(str) || PyUnicode_READY(str) != 0) return false;
  if (PyUnicode_KIND(str) != PyUnicode_1BYTE_KIND) return false;
  *out = std::string_view(reinterpret_cast<const char*>(PyUnicode_1BYTE_DATA(str)),
                          size_t(PyUnicode_GET_LENGTH(str)));
  return true;
}

namespace {

struct StartResponse {
  PyObject_HEAD
  vectorcallfunc vectorcall;       // start_response_vectorcall: calls skip an args tuple
  worker::ResponseWriter* writer;  // null once the request is over
  bool called;
};

PyObject* start_response_write(PyObject* obj, PyObject* data);
PyMethodDef write_def = {"write", start_response_write, METH_O, "write(bytes): send body bytes at once"};

PyObject* raise_value_error(const std::string& message) {
  PyErr_SetString(PyExc_ValueError, message.c_str());
  return nullptr;
}

// Re-raises the exception described by an exc_info tuple.
PyObject* reraise(PyObject* exc_info) {
  PyObject* type = PyTuple_GET_ITEM(exc_info, 0);
  PyObject* value = PyTuple_GET_ITEM(exc_info, 1);
  PyObject* tb = PyTuple_GET_ITEM(exc_info, 2);
  Py_XINCREF(type);
  Py_XINCREF(value);
  Py_XINCREF(tb);
  PyErr_Restore(type, value, tb == Py_None ? nullptr : tb);
  return nullptr;
}

// The arguments of start_response(status, headers, exc_info=None), taken
// from a vectorcall's positional and keyword arguments.
bool parse_arguments(PyObject* const* args, size_t nargsf, PyObject* kwnames, PyObject** status,
                     PyObject** headers, PyObject** exc_info) {
  static const char* const kNames[] = {"status", "headers", "exc_info"};
  PyObject* slots[3] = {nullptr, nullptr, Py_None};
  const Py_ssize_t npos = PyVectorcall_NARGS(nargsf);
  if (npos > 3) {
    PyErr_Format(PyExc_TypeError, "start_response() takes at most 3 arguments (%zd given)", npos);
    return false;
  }
  for (Py_ssize_t i = 0; i < npos; ++i) slots[i] = args[i];
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* name = PyTuple_GET_ITEM(kwnames, k);
    int slot = -1;
    for (int j = 0; j < 3; ++j) {
      if (PyUnicode_CompareWithASCIIString(name, kNames[j]) == 0) slot = j;
    }
    if (slot < 0) {
      PyErr_Format(PyExc_TypeError, "start_response() got an unexpected keyword argument '%U'", name);
      return false;
    }
    if (slot < npos) {
      PyErr_Format(PyExc_TypeError, "start_response() got multiple values for argument '%s'",
                   kNames[slot]);
      return false;
    }
    slots[slot] = args[npos + k];
  }
  for (int j = 0; j < 2; ++j) {
    if (!slots[j]) {
      PyErr_Format(PyExc_TypeError, "start_response() missing required argument '%s'", kNames[j]);
      return false;
    }
  }
  *status = slots[0];
  *headers = slots[1];
  *exc_info = slots[2];
  return true;
}

PyObject* start_response_vectorcall(PyObject* obj, PyObject* const* args, size_t nargsf,
                                    PyObject* kwnames) {
  auto* self = reinterpret_cast<StartResponse*>(obj);
  PyObject *status, *headers, *exc_info;
  if (!parse_arguments(args, nargsf, kwnames, &status, &headers, &exc_info)) return nullptr;
  if (!self->writer) return raise_value_error("start_response() called after the response ended");
  if (exc_info != Py_None) {
    if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
      PyErr_SetString(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
      return nullptr;
    }
    if (self->writer->headers_sent()) return reraise(exc_info);
  } else if (self->called) {
    PyErr_SetString(PyExc_AssertionError, "Response headers already set!");
    return nullptr;
  }
  std::string_view status_text;
  if (!PyUnicode_Check(status)) {
    PyErr_Format(PyExc_TypeError, "%R is not a string", status);
    return nullptr;
  }
  if (!latin1_view(status, &status_text)) return raise_value_error("status is not latin-1 text");
  if (Status s = self->writer->begin(status_text); !s) return raise_value_error(s.message());

  PyRef items = PyRef::steal(PySequence_Fast(headers, "response headers must be a list"));
  if (!items) return nullptr;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(items.get());
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_Fast_GET_ITEM(items.get(), i);
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
      PyErr_Format(PyExc_TypeError, "header %R is not a (name, value) tuple", item);
      return nullptr;
    }
    PyObject* name = PyTuple_GET_ITEM(item, 0);
    PyObject* value = PyTuple_GET_ITEM(item, 1);
    if (!PyUnicode_Check(name)) {
      PyErr_Format(PyExc_TypeError, "%R is not a string", name);
      return nullptr;
    }
    if (!PyUnicode_Check(value)) {
      PyErr_Format(PyExc_TypeError, "%R is not a string", value);
      return nullptr;
    }
    std::string_view name_text, value_text;
    if (!latin1_view(name, &name_text) || !latin1_view(value, &value_text)) {
      return raise_value_error("header is not latin-1 text");
    }
    if (Status s = self->writer->add_header(name_text, value_text); !s) return raise_value_error(s.message());
  }
  self->called = true;
  return PyCFunction_New(&write_def, obj);
}

PyObject* start_response_write(PyObject* obj, PyObject* data) {
  auto* self = reinterpret_cast<StartResponse*>(obj);
  if (!self->writer) return raise_value_error("write() called after the response ended");
  if (!self->called) {
    PyErr_SetString(PyExc_AssertionError, "write() before start_response()");
    return nullptr;
  }
  if (!PyBytes_Check(data)) {
    PyErr_Format(PyExc_TypeError, "%R is not a byte", data);
    return nullptr;
  }
  Status s;
  {
    GilReleaseIf unlocked(size_t(PyBytes_GET_SIZE(data)) > kWriteKeepsGilBytes);
    // Sent when write() returns (PEP 3333): the caller may free `data` at
    // once, so none of it may stay pending as a view.
    s = self->writer->write(std::string_view(PyBytes_AS_STRING(data), size_t(PyBytes_GET_SIZE(data))));
  }
  if (!s) {
    PyErr_SetString(PyExc_OSError, s.message().c_str());
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyMemberDef start_response_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(StartResponse, vectorcall), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyTypeObject* start_response_type = nullptr;

}  // namespace

bool init_start_response_type() {
  static PyType_Slot slots[] = {
      {Py_tp_doc, const_cast<char*>("start_response(status, headers, exc_info=None)")},
      {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
      {Py_tp_members, start_response_members},
      {0, nullptr}};
  static PyType_Spec spec = {"qilin.StartResponse", sizeof(StartResponse), 0,
                                Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL, slots};
  start_response_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  return start_response_type != nullptr;
}

PyRef new_start_response(worker::ResponseWriter* writer) {
  StartResponse* self = PyObject_New(StartResponse, start_response_type);
  if (!self) return PyRef();
  self->vectorcall = start_response_vectorcall;
  self->writer = writer;
  self->called = false;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void detach_start_response(PyObject* start_response) {
  if (start_response) reinterpret_cast<StartResponse*>(start_response)->writer = nullptr;
}

bool start_response_called(PyObject* start_response) {
  return reinterpret_cast<StartResponse*>(start_response)->called;
}

}  // namespace qilin::python
