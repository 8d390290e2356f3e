#include "python/access_logging.h"

#include <time.h>

#include "core/strings.h"
#include "http/uri.h"
#include "python/interpreter.h"
#include "python/wsgi_streams.h"

namespace qilin::python {

namespace {

// The last value of a request header, as gunicorn's dict of headers keeps it.
std::optional<std::string_view> request_header(const http::Request& request, std::string_view lower) {
  std::optional<std::string_view> found;
  for (const http::Header& h : request.headers) {
    if (iequals(h.name, lower)) found = h.value;
  }
  return found;
}

std::optional<std::string_view> response_header(std::string_view block, std::string_view lower) {
  std::optional<std::string_view> found;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), lower)) {
      found = trim(line.substr(colon + 1));
    }
    if (eol == std::string_view::npos) break;
    block.remove_prefix(eol + 2);
  }
  return found;
}

std::string_view str_item(PyObject* environ, const char* key) {
  std::string_view view;
  PyObject* v = environ ? PyDict_GetItemString(environ, key) : nullptr;  // borrowed
  if (v && latin1_view(v, &view)) return view;
  return {};
}

}  // namespace

void log_access(const log::AccessLog& access_log, const worker::Exchange& ex, PyObject* environ,
                int64_t duration_us) {
  const http::Request& request = ex.request;
  log::AccessRecord record;
  std::string user;
  if (auto auth = request_header(request, "authorization")) user = log::basic_auth_user(*auth);
  std::string decoded_path;
  record.remote_addr = str_item(environ, "REMOTE_ADDR");
  if (record.remote_addr.empty()) record.remote_addr = ex.connection.peer().addr;
  record.method = request.method;
  record.raw_uri = request.uri;
  record.protocol = str_item(environ, "SERVER_PROTOCOL");
  record.path_info = str_item(environ, "PATH_INFO");
  if (!environ) {
    decoded_path = http::percent_decode(request.path);
    record.path_info = decoded_path;
  }
  record.query = request.query;
  record.user = user;
  record.status = ex.response.headers_sent() ? ex.response.status_code() : 500;
  record.bytes_sent = int64_t(ex.response.body_bytes_sent());
  record.duration_us = duration_us;
  record.start_unix_seconds = time(nullptr);
  record.request_header = [&](std::string_view name) { return request_header(request, name); };
  const std::string_view block = ex.response.header_block();
  record.response_header = [block](std::string_view name) { return response_header(block, name); };
  if (environ && access_log.format().uses_environ()) {
    record.environ_value = [environ](std::string_view lower) -> std::optional<std::string> {
      PyObject *key, *value;
      Py_ssize_t pos = 0;
      while (PyDict_Next(environ, &pos, &key, &value)) {
        std::string_view k, v;
        if (!latin1_view(key, &k) || !iequals(k, lower)) continue;
        if (latin1_view(value, &v)) return std::string(v);
        return str_of(value);
      }
      return std::nullopt;
    };
  }
  std::string line;
  access_log.format().render(record, &line);
  line.push_back('\n');
  GilRelease unlocked;
  access_log.write_line(line);
}

}  // namespace qilin::python
