// Builds the PEP 3333 environ for a request, as gunicorn fills it. Keys and
// constant values are made once per process; each request copies a
// template dict and adds its own items. Header names map to their HTTP_*
// keys through a bounded cache. Call with the GIL held; one per worker thread.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/request.h"
#include "python/py_ref.h"
#include "sys/listener.h"
#include "worker/connection.h"

namespace qilin::python {

class EnvironBuilder {
 public:
  // `errors` is the wsgi.errors stream; `multiprocess`/`multithread` the
  // booleans the worker kind implies.
  bool init(PyObject* errors, bool multiprocess, bool multithread);

  // Null with `problem` set when the request cannot be mapped (a path
  // outside SCRIPT_NAME: gunicorn's ConfigurationProblem, a 500); null with
  // a Python error set on an internal failure.
  PyRef build(const http::Request& request, const worker::Connection& connection, PyObject* input,
              std::string* problem);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  PyObject* header_key(std::string_view name);  // borrowed; null on error
  PyObject* method_value(std::string_view method);  // new reference
  // SERVER_NAME and SERVER_PORT of a TCP listener, made once per listener.
  bool set_listener_address(PyObject* environ, const sys::Listener& listener);

  struct ListenerAddress {
    const sys::Listener* listener;
    PyRef name, port;
  };

  PyRef template_;
  std::string script_name_;  // from the process environment
  std::unordered_map<std::string, PyRef, Hash, std::equal_to<>> header_keys_;
  std::vector<std::pair<std::string, PyRef>> methods_;  // few: a scan beats a hash
  PyRef k_request_method_, k_query_string_, k_raw_uri_, k_server_protocol_, k_path_info_,
      k_script_name_, k_server_name_, k_server_port_, k_remote_addr_, k_remote_port_, k_input_,
      k_url_scheme_, k_content_type_, k_content_length_, k_proxy_protocol_, k_proxy_addr_,
      k_proxy_port_;
  PyRef v_http10_, v_http11_, v_http_, v_https_, v_empty_;
  std::vector<ListenerAddress> listener_addresses_;
  std::string remote_addr_text_;  // the last peer address, and its text object
  PyRef remote_addr_;
};

}  // namespace qilin::python
