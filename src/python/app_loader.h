// Loads the WSGI application the way gunicorn does: "module:variable",
// "module" alone meaning "module:application", "module:factory(...)" with
// literal arguments only, dotted modules and packages. Call with the GIL held.
#pragma once

#include <string>

#include "core/result.h"
#include "python/py_ref.h"

namespace qilin::python {

struct AppLoadFailure {
  std::string message;    // one line: what is wrong
  std::string traceback;  // set when the import itself (or the factory) raised
};

// On success the callable; on failure `failure` is filled and the result is null.
PyRef load_wsgi_app(const std::string& spec, AppLoadFailure* failure);

}  // namespace qilin::python
