#include "python/environ_builder.h"

#include <charconv>
#include <cstdlib>

#include "core/strings.h"
#include "http/uri.h"
#include "python/wsgi_streams.h"

namespace qilin::python {

namespace {

constexpr size_t kMaxCachedHeaderKeys = 512;
constexpr size_t kMaxCachedMethods = 32;
// Room for a request's whole environ: the template's items, the ones every
// request sets, and a browser's worth of headers. PyDict_Copy keeps a
// template's table size, so a request adds its items without a resize.
constexpr Py_ssize_t kEnvironCapacity = 40;

PyRef intern(const char* s) { return PyRef::steal(PyUnicode_InternFromString(s)); }

PyRef latin1(std::string_view s) {
  return PyRef::steal(PyUnicode_DecodeLatin1(s.data(), Py_ssize_t(s.size()), nullptr));
}

bool set(PyObject* dict, const PyRef& key, PyRef value) {
  return value && PyDict_SetItem(dict, key.get(), value.get()) == 0;
}

// A port number as text (REMOTE_PORT, PROXY_PORT).
PyRef port_text(int port) {
  char digits[12];
  const auto end = std::to_chars(digits, digits + sizeof(digits), port).ptr;
  return latin1(std::string_view(digits, size_t(end - digits)));
}

}  // namespace

bool EnvironBuilder::init(PyObject* errors, bool multiprocess, bool multithread) {
  k_request_method_ = intern("REQUEST_METHOD");
  k_query_string_ = intern("QUERY_STRING");
  k_raw_uri_ = intern("RAW_URI");
  k_server_protocol_ = intern("SERVER_PROTOCOL");
  k_path_info_ = intern("PATH_INFO");
  k_script_name_ = intern("SCRIPT_NAME");
  k_server_name_ = intern("SERVER_NAME");
  k_server_port_ = intern("SERVER_PORT");
  k_remote_addr_ = intern("REMOTE_ADDR");
  k_remote_port_ = intern("REMOTE_PORT");
  k_input_ = intern("wsgi.input");
  k_url_scheme_ = intern("wsgi.url_scheme");
  k_content_type_ = intern("CONTENT_TYPE");
  k_content_length_ = intern("CONTENT_LENGTH");
  k_proxy_protocol_ = intern("PROXY_PROTOCOL");
  k_proxy_addr_ = intern("PROXY_ADDR");
  k_proxy_port_ = intern("PROXY_PORT");
  v_http10_ = intern("HTTP/1.0");
  v_http11_ = intern("HTTP/1.1");
  v_http_ = intern("http");
  v_https_ = intern("https");
  v_empty_ = intern("");
  for (const char* method : {"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    methods_.emplace_back(method, intern(method));  // the usual ones first: a few compares
  }
  if (const char* sn = std::getenv("SCRIPT_NAME")) script_name_ = sn;

  template_ = PyRef::steal(_PyDict_NewPresized(kEnvironCapacity));
  if (!template_) return false;
  PyObject* t = template_.get();
  // The keys every request sets (REMOTE_PORT is removed again for a unix
  // peer) hold None here, so that setting them replaces a value in place.
  for (const PyRef* key : {&k_request_method_, &k_query_string_, &k_raw_uri_, &k_input_, &k_url_scheme_,
                           &k_server_protocol_, &k_remote_addr_, &k_remote_port_, &k_server_name_,
                           &k_server_port_, &k_path_info_}) {
    if (!key->get() || !set(t, *key, PyRef::borrow(Py_None))) return false;
  }
  PyRef version = PyRef::steal(Py_BuildValue("(ii)", 1, 0));
  PyRef software = PyRef::steal(PyUnicode_FromString("qilin/" QILIN_VERSION));
  return set(t, intern("wsgi.version"), std::move(version)) &&
         set(t, intern("wsgi.errors"), PyRef::borrow(errors)) &&
         set(t, intern("wsgi.multithread"), PyRef::borrow(multithread ? Py_True : Py_False)) &&
         set(t, intern("wsgi.multiprocess"), PyRef::borrow(multiprocess ? Py_True : Py_False)) &&
         set(t, intern("wsgi.run_once"), PyRef::borrow(Py_False)) &&
         set(t, intern("wsgi.input_terminated"), PyRef::borrow(Py_True)) &&
         set(t, intern("wsgi.file_wrapper"),
             PyRef::borrow(reinterpret_cast<PyObject*>(file_wrapper_type()))) &&
         set(t, intern("SERVER_SOFTWARE"), std::move(software)) &&
         set(t, k_script_name_, latin1(script_name_));
}

PyObject* EnvironBuilder::header_key(std::string_view name) {
  auto it = header_keys_.find(name);
  if (it != header_keys_.end()) return it->second.get();
  std::string key;
  if (iequals(name, "content-type")) {
    key = "CONTENT_TYPE";
  } else if (iequals(name, "content-length")) {
    key = "CONTENT_LENGTH";
  } else {
    key.reserve(name.size() + 5);
    key = "HTTP_";
    for (char c : name) key.push_back(c == '-' ? '_' : ascii_upper(c));
  }
  PyRef value = PyRef::steal(PyUnicode_DecodeLatin1(key.data(), Py_ssize_t(key.size()), nullptr));
  if (!value) return nullptr;
  PyUnicode_InternInPlace(reinterpret_cast<PyObject**>(&value));
  if (header_keys_.size() >= kMaxCachedHeaderKeys) header_keys_.clear();
  auto [slot, _] = header_keys_.emplace(std::string(name), std::move(value));
  return slot->second.get();
}

PyObject* EnvironBuilder::method_value(std::string_view method) {
  for (const auto& [text, value] : methods_) {
    if (text == method) return Py_NewRef(value.get());
  }
  PyRef value = latin1(method);
  if (!value) return nullptr;
  if (methods_.size() < kMaxCachedMethods) methods_.emplace_back(std::string(method), value);
  return value.release();
}

bool EnvironBuilder::set_listener_address(PyObject* environ, const sys::Listener& listener) {
  ListenerAddress* found = nullptr;
  for (ListenerAddress& a : listener_addresses_) {
    if (a.listener == &listener) found = &a;
  }
  if (!found) {
    ListenerAddress made{&listener, latin1(listener.server_name()), latin1(listener.server_port())};
    if (!made.name || !made.port) return false;
    found = &listener_addresses_.emplace_back(std::move(made));
  }
  return set(environ, k_server_name_, found->name) && set(environ, k_server_port_, found->port);
}

PyRef EnvironBuilder::build(const http::Request& request, const worker::Connection& connection,
                            PyObject* input, std::string* problem) {
  PyRef env = PyRef::steal(PyDict_Copy(template_.get()));
  if (!env) return env;
  PyObject* e = env.get();

  std::string_view host;
  std::string_view script_name = script_name_;
  for (const http::Header& h : request.headers) {
    if (iequals(h.name, "host")) host = h.value;
    else if (iequals(h.name, "script_name")) script_name = h.value;  // only a trusted forwarder's survives the parser
    PyObject* key = header_key(h.name);
    if (!key) return PyRef();
    PyRef value = latin1(h.value);
    if (!value) return PyRef();
    if (PyObject* prev = PyDict_GetItemWithError(e, key)) {  // repeated: join with ","
      value = PyRef::steal(PyUnicode_FromFormat("%U,%U", prev, value.get()));
      if (!value) return PyRef();
    } else if (PyErr_Occurred()) {
      return PyRef();
    }
    if (PyDict_SetItem(e, key, value.get()) != 0) return PyRef();
  }

  // TLS makes the scheme https unless a trusted proxy's header says http
  // (gunicorn's order).
  const bool https =
      request.forwarded_scheme == http::ForwardedScheme::kHttps ||
      (connection.tls() && request.forwarded_scheme == http::ForwardedScheme::kUnknown);
  bool ok = set(e, k_request_method_, PyRef::steal(method_value(request.method))) &&
            set(e, k_query_string_, request.query.empty() ? v_empty_ : latin1(request.query)) &&
            set(e, k_input_, PyRef::borrow(input)) &&
            set(e, k_url_scheme_, https ? v_https_ : v_http_);
  if (!ok) return PyRef();
  if (request.version_major == 1 && request.version_minor == 1) {
    ok = set(e, k_server_protocol_, v_http11_);
  } else if (request.version_major == 1 && request.version_minor == 0) {
    ok = set(e, k_server_protocol_, v_http10_);
  } else {
    ok = set(e, k_server_protocol_,
             PyRef::steal(PyUnicode_FromFormat("HTTP/%d.%d", request.version_major, request.version_minor)));
  }
  if (!ok) return PyRef();

  // REMOTE_*: the peer; a unix-socket peer has an empty address and no port.
  const worker::PeerAddress& peer = connection.peer();
  if (!remote_addr_ || peer.addr != remote_addr_text_) {  // one client address, or one proxy's, is the rule
    remote_addr_ = latin1(peer.addr);
    if (!remote_addr_) return PyRef();
    remote_addr_text_ = peer.addr;
  }
  if (!set(e, k_remote_addr_, remote_addr_)) return PyRef();
  if (peer.is_unix ? PyDict_DelItem(e, k_remote_port_.get()) != 0
                   : !set(e, k_remote_port_, port_text(peer.port))) {
    return PyRef();
  }

  // SERVER_*: the listener; on a unix socket, the Host header when there is one.
  const sys::Listener* listener = connection.listener();
  std::string_view server_name = listener ? std::string_view(listener->server_name()) : "";
  std::string_view server_port = listener ? std::string_view(listener->server_port()) : "";
  if (listener && listener->is_unix()) {
    if (!host.empty()) {
      size_t colon = host.rfind(':');
      if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
        server_name = host.substr(0, colon);
        server_port = host.substr(colon + 1);
      } else {
        server_name = host;
        server_port = https ? "443" : "80";
      }
    } else {
      server_port = "";
    }
  }
  if (listener && !listener->is_unix()) {
    if (!set_listener_address(e, *listener)) return PyRef();
  } else if (!set(e, k_server_name_, latin1(server_name)) || !set(e, k_server_port_, latin1(server_port))) {
    return PyRef();
  }

  // PATH_INFO under SCRIPT_NAME, percent-decoded, as latin-1 text.
  std::string_view path = request.path;
  if (!script_name.empty()) {
    if (!path.starts_with(script_name)) {
      *problem = "Configuration problem: Request path '" + std::string(path) +
                 "' does not start with SCRIPT_NAME '" + std::string(script_name) + "'";
      return PyRef();
    }
    path.remove_prefix(script_name.size());
    if (!set(e, k_script_name_, latin1(script_name))) return PyRef();
  }
  // Without a '%' the path is its own decoding; when it is also the whole
  // target, PATH_INFO and RAW_URI share one string.
  const bool encoded = path.find('%') != std::string_view::npos;
  PyRef path_info = encoded ? latin1(http::percent_decode(path)) : latin1(path);
  if (!set(e, k_path_info_, path_info)) return PyRef();
  if (!set(e, k_raw_uri_, !encoded && path == request.uri ? path_info : latin1(request.uri))) {
    return PyRef();
  }

  // PROXY protocol. A header with addresses (TCP4, TCP6) replaces REMOTE_*
  // and gives PROXY_ADDR/PROXY_PORT; after one without (v1 UNKNOWN, v2 LOCAL
  // or UNSPEC) the real peer stands, as the PROXY protocol spec asks, and
  // only PROXY_PROTOCOL is set (gunicorn 26 puts None in the other four).
  if (request.proxy.present) {
    const http::ProxyInfo& p = request.proxy;
    if (!set(e, k_proxy_protocol_, latin1(p.protocol))) return PyRef();
    if (!p.src_addr.empty()) {
      ok = set(e, k_remote_addr_, latin1(p.src_addr)) &&
           set(e, k_remote_port_, port_text(p.src_port)) && set(e, k_proxy_addr_, latin1(p.dst_addr)) &&
           set(e, k_proxy_port_, port_text(p.dst_port));
      if (!ok) return PyRef();
    }
  }

  // TLS: mod_ssl's SSL_* variables (tls/session.h lists them).
  if (tls::Session* tls = connection.tls()) {
    for (const auto& [name, value] : tls->environ_variables()) {
      if (!set(e, intern(name), latin1(value))) return PyRef();
    }
  }
  return env;
}

}  // namespace qilin::python
