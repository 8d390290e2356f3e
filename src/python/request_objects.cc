// `req` and `resp` for pre_request and post_request: snapshots of the parsed
// request and of the response that went out, with gunicorn's attribute
// names and types (text decoded as latin-1, header names upper-cased,
// version a tuple). Made only when a request hook is set. Their attributes
// live in the instance __dict__, so a hook can add its own.

#include <cstddef>
#include <string>

#include "core/strings.h"
#include "python/hook_objects.h"

namespace qilin::python {

namespace {

struct Message {
  PyObject_HEAD PyObject* dict;
};

PyTypeObject* request_type = nullptr;
PyTypeObject* response_type = nullptr;

void message_dealloc(PyObject* obj) {
  Py_CLEAR(reinterpret_cast<Message*>(obj)->dict);
  PyTypeObject* type = Py_TYPE(obj);
  type->tp_free(obj);
  Py_DECREF(type);
}

// should_close(): whether the connection ends after this exchange.
PyObject* message_should_close(PyObject* obj, PyObject*) {
  PyObject* d = reinterpret_cast<Message*>(obj)->dict;
  PyObject* v = d ? PyDict_GetItemString(d, "must_close") : nullptr;  // borrowed
  return PyBool_FromLong(v && PyObject_IsTrue(v) == 1);
}

PyMethodDef message_methods[] = {{"should_close", message_should_close, METH_NOARGS, nullptr},
                                 {nullptr, nullptr, 0, nullptr}};

PyMemberDef message_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(Message, dict), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyRef new_message(PyTypeObject* type) {
  Message* self = PyObject_New(Message, type);
  if (!self) return PyRef();
  self->dict = PyDict_New();
  PyRef message = PyRef::steal(reinterpret_cast<PyObject*>(self));
  return self->dict ? std::move(message) : PyRef();
}

PyObject* dict_of(const PyRef& message) { return reinterpret_cast<Message*>(message.get())->dict; }

PyRef latin1(std::string_view s) {
  return PyRef::steal(PyUnicode_DecodeLatin1(s.data(), Py_ssize_t(s.size()), nullptr));
}
PyRef py_int(long long v) { return PyRef::steal(PyLong_FromLongLong(v)); }
PyRef py_bool(bool v) { return PyRef::borrow(v ? Py_True : Py_False); }

bool set_item(PyObject* dict, const char* key, PyRef value) {
  return value && PyDict_SetItemString(dict, key, value.get()) == 0;
}

PyRef pair(PyRef a, PyRef b) {
  if (!a || !b) return PyRef();
  return PyRef::steal(PyTuple_Pack(2, a.get(), b.get()));
}

// (host, port) for TCP; '' for a unix socket, as accept() gives gunicorn.
PyRef peer_address(const worker::PeerAddress& peer) {
  if (peer.is_unix) return latin1("");
  return pair(latin1(peer.addr), py_int(peer.port));
}

PyRef proxy_info(const http::ProxyInfo& proxy) {
  if (!proxy.present) return PyRef::borrow(Py_None);
  PyRef d = PyRef::steal(PyDict_New());
  if (!d) return PyRef();
  bool ok = set_item(d.get(), "proxy_protocol", latin1(proxy.protocol)) &&
            set_item(d.get(), "client_addr", latin1(proxy.src_addr)) &&
            set_item(d.get(), "client_port", py_int(proxy.src_port)) &&
            set_item(d.get(), "proxy_addr", latin1(proxy.dst_addr)) &&
            set_item(d.get(), "proxy_port", py_int(proxy.dst_port));
  return ok ? std::move(d) : PyRef();
}

// The "Name: value\r\n" lines the response writer kept, as (name, value).
PyRef header_list(std::string_view block) {
  PyRef list = PyRef::steal(PyList_New(0));
  if (!list) return PyRef();
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    PyRef item = pair(latin1(line.substr(0, colon)), latin1(trim(line.substr(colon + 1))));
    if (!item || PyList_Append(list.get(), item.get()) != 0) return PyRef();
  }
  return list;
}

}  // namespace

bool init_request_types() {
  static PyType_Slot request_slots[] = {
      {Py_tp_doc, const_cast<char*>("The parsed request, as hooks see it (gunicorn's Request)")},
      {Py_tp_dealloc, reinterpret_cast<void*>(message_dealloc)},
      {Py_tp_methods, message_methods},
      {Py_tp_members, message_members},
      {0, nullptr}};
  static PyType_Spec request_spec = {"qilin.Request", sizeof(Message), 0, Py_TPFLAGS_DEFAULT,
                                     request_slots};
  static PyType_Slot response_slots[] = {
      {Py_tp_doc, const_cast<char*>("The response sent, as hooks see it (gunicorn's Response)")},
      {Py_tp_dealloc, reinterpret_cast<void*>(message_dealloc)},
      {Py_tp_methods, message_methods},
      {Py_tp_members, message_members},
      {0, nullptr}};
  static PyType_Spec response_spec = {"qilin.Response", sizeof(Message), 0, Py_TPFLAGS_DEFAULT,
                                      response_slots};
  request_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&request_spec));
  response_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&response_spec));
  return request_type && response_type;
}

PyRef new_hook_request(const http::Request& request, const worker::PeerAddress& peer) {
  PyRef req = new_message(request_type);
  if (!req) return PyRef();
  PyRef headers = PyRef::steal(PyList_New(Py_ssize_t(request.headers.size())));
  if (!headers) return PyRef();
  std::string name;
  for (size_t i = 0; i < request.headers.size(); ++i) {
    const http::Header& h = request.headers[i];
    name.assign(h.name);
    for (char& c : name) c = ascii_upper(c);
    PyRef item = pair(latin1(name), latin1(h.value));
    if (!item) return PyRef();
    PyList_SET_ITEM(headers.get(), Py_ssize_t(i), item.release());
  }
  PyRef address = peer_address(peer);
  bool https = request.forwarded_scheme == http::ForwardedScheme::kHttps;
  PyObject* d = dict_of(req);
  bool ok =
      set_item(d, "method", latin1(request.method)) && set_item(d, "uri", latin1(request.uri)) &&
      set_item(d, "path", latin1(request.path)) && set_item(d, "query", latin1(request.query)) &&
      set_item(d, "fragment", latin1(request.fragment)) &&
      set_item(d, "version",
               PyRef::steal(Py_BuildValue("(ii)", request.version_major, request.version_minor))) &&
      set_item(d, "headers", std::move(headers)) &&
      set_item(d, "trailers", PyRef::steal(PyList_New(0))) &&
      set_item(d, "body", PyRef::borrow(Py_None)) &&
      set_item(d, "scheme", latin1(https ? "https" : "http")) &&
      set_item(d, "remote_addr", PyRef(address)) && set_item(d, "peer_addr", PyRef(address)) &&
      set_item(d, "req_number", py_int(1)) &&
      set_item(d, "proxy_protocol_info", proxy_info(request.proxy)) &&
      set_item(d, "must_close", py_bool(request.must_close));
  return ok ? std::move(req) : PyRef();
}

PyRef new_hook_response(const worker::ResponseWriter& response, const http::Request& request,
                        bool keeps_alive) {
  PyRef resp = new_message(response_type);
  if (!resp) return PyRef();
  PyObject* d = dict_of(resp);
  bool started = response.started();
  int64_t length = response.content_length();
  bool close = !keeps_alive || response.must_close() || request.must_close;
  bool ok = set_item(d, "status", started ? latin1(response.status()) : PyRef::borrow(Py_None)) &&
            set_item(d, "status_code",
                     started ? py_int(response.status_code()) : PyRef::borrow(Py_None)) &&
            set_item(d, "headers", header_list(response.header_block())) &&
            set_item(d, "sent", py_int(int64_t(response.body_bytes_sent()))) &&
            set_item(d, "response_length", length >= 0 ? py_int(length) : PyRef::borrow(Py_None)) &&
            set_item(d, "chunked", py_bool(response.chunked())) &&
            set_item(d, "headers_sent", py_bool(response.headers_sent())) &&
            set_item(d, "must_close", py_bool(close));
  return ok ? std::move(resp) : PyRef();
}

}  // namespace qilin::python
