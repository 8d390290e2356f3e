// --reload in Python terms: which source files the worker has loaded (what
// worker::CodeReloader watches), and gunicorn's fail app, which a worker in
// reload mode serves when the application does not compile, so the
// developer sees the error in the browser and the server stays up until the
// file is fixed.
#pragma once

#include <string>
#include <vector>

#include "python/py_ref.h"

namespace qilin::python {

// The __file__ of every module in sys.modules. Takes the GIL itself (the
// worker loop calls it once a second); empty when Python cannot say.
std::vector<std::string> loaded_module_files();

// A WSGI app answering every request with 500 and `text` as text/plain
// (gunicorn's util.make_fail_app). GIL held; null with the exception set.
PyRef make_fail_app(const std::string& text);

}  // namespace qilin::python
