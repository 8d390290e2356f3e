// The per-request Python objects a WSGI application talks to, implemented in
// C over the worker's C++ objects:
//   wsgi.input      - InputStream over a worker::BodyReader (streams from the
//                     socket with the GIL released while waiting)
//   start_response  - StartResponse over a worker::ResponseWriter; its
//                     write() is the PEP 3333 write callable
//   wsgi.errors     - ErrorStream, one per process, writing to the error log
//   wsgi.file_wrapper - FileWrapper, the type itself
// Every function here must be called with the GIL held. The C++ objects an
// InputStream or StartResponse points to live only for one request: the
// worker calls detach_*() when the request ends, after which the Python
// objects are inert (read returns b"", write raises), even if the
// application kept a reference.
#pragma once

#include "python/py_ref.h"
#include "worker/body_reader.h"
#include "worker/response_writer.h"

namespace qilin::python {

// Readies the types; false with a Python error set on failure.
bool init_wsgi_types();

PyRef new_input_stream(worker::BodyReader* reader);
void detach_input_stream(PyObject* input);

PyRef new_start_response(worker::ResponseWriter* writer);
void detach_start_response(PyObject* start_response);
bool start_response_called(PyObject* start_response);

// `log_fd` receives what the application writes to wsgi.errors.
PyRef new_error_stream(int log_fd);

PyTypeObject* file_wrapper_type();
// For a FileWrapper: its file-like object (borrowed), else null.
PyObject* file_wrapper_filelike(PyObject* object);

// A str whose characters all fit in one byte, viewed as its latin-1 bytes
// (no copy). False for anything else.
bool latin1_view(PyObject* str, std::string_view* out);

}  // namespace qilin::python
