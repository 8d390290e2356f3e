// Loads the WSGI application the way gunicorn does: "module:variable",
// "module" alone meaning "module:application", "module:factory(...)" with
// literal arguments only, dotted modules and packages; or, for --paste, the
// app a PasteDeploy ini file describes. Call with the GIL held.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "python/py_ref.h"

namespace qilin::python {

struct AppLoadFailure {
  std::string message;    // one line: what is wrong
  std::string traceback;  // set when the import itself (or the factory) raised
  // A SyntaxError (or a subclass) raised: the file it names (may be empty).
  bool syntax_error = false;
  std::string syntax_error_file;
};

// The spec that names the app of a PasteDeploy file: `config_uri` is
// "/abs/path.ini" or "/abs/path.ini#section" (paste.deploy.loadapp's form).
std::string paste_app_spec(const std::string& config_uri);
// --paste-global KEY=VALUE entries, handed to loadapp as global_conf.
void set_paste_global_conf(std::vector<std::string> raw);

// On success the callable; on failure `failure` is filled and the result is null.
PyRef load_wsgi_app(const std::string& spec, AppLoadFailure* failure);

}  // namespace qilin::python
