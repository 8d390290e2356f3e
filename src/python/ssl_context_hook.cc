#include "python/ssl_context_hook.h"

#include <string>

#include "python/hook_objects.h"
#include "python/interpreter.h"
#include "tls/library.h"
#include "tls/server_context.h"

namespace qilin::python {

namespace {

using Made = Result<std::shared_ptr<const tls::ServerContext>>;

// CPython's Modules/_ssl.c: PySSLContext, the object behind every
// ssl.SSLContext, begins with the OpenSSL context it wraps. Read from
// CPython 3.11's source, the version qilin embeds.
struct PySSLContextHead {
  PyObject_HEAD ssl_ctx_st* ctx;
};
static_assert((PY_VERSION_HEX >> 16) == 0x030B,
              "PySSLContextHead follows CPython 3.11's _ssl.c; check it against this version's");

const char* const kModuleSource = R"PY(
"""The Python half of qilin's ssl_context hook (ssl_context_hook.cc)."""

import ssl

SSLContext = ssl.SSLContext


def default_factory(cfg):
    """The default_ssl_context_factory handed to the hook: gunicorn's
    default context, from the SSL settings `cfg` shows."""

    def default_ssl_context_factory():
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=cfg.ca_certs)
        context.load_cert_chain(certfile=cfg.certfile, keyfile=cfg.keyfile)
        context.verify_mode = cfg.cert_reqs
        if cfg.ciphers:
            context.set_ciphers(cfg.ciphers)
        return context

    return default_ssl_context_factory


def library():
    """The OpenSSL the ssl module runs with: (number, text, _ssl's file or None)."""
    import _ssl
    return ssl.OPENSSL_VERSION_NUMBER, ssl.OPENSSL_VERSION, getattr(_ssl, "__file__", None)


def review(context):
    """What qilin cannot take over from `context`: (why it cannot be served,
    or None; [a sentence for each setting that is dropped])."""
    if context.sni_callback is not None:
        return ("it has an sni_callback, which qilin cannot call: handshakes run in C++, "
                "without Python"), []
    dropped = []
    keylog = getattr(context, "keylog_filename", None)
    if keylog:
        dropped.append("keylog_filename %r (from SSLKEYLOGFILE or the hook) is not carried "
                       "over: qilin writes no TLS key log" % (keylog,))
    if getattr(context, "_msg_callback", None) is not None:
        dropped.append("_msg_callback is not carried over: qilin does not call it")
    return None, dropped
)PY";

PyRef hook_module() { return embedded_module("_qilin_ssl_context", kModuleSource); }

// Keeps the hook's SSLContext alive while qilin serves from its SSL_CTX:
// OpenSSL callbacks set on it by Python (ALPN selection) read the object.
class HeldObject {
 public:
  explicit HeldObject(PyRef object) : object_(std::move(object)) {}
  ~HeldObject() {
    GilAcquire gil;
    object_.reset();
  }
  HeldObject(const HeldObject&) = delete;
  HeldObject& operator=(const HeldObject&) = delete;

 private:
  PyRef object_;
};

// Whether Python's ssl module runs on the libssl qilin serves with, so that
// its SSL_CTX is one qilin can use.
Status check_library(PyObject* module) {
  PyRef info = PyRef::steal(PyObject_CallMethod(module, "library", nullptr));
  if (!info || !PyTuple_Check(info.get()) || PyTuple_GET_SIZE(info.get()) != 3) {
    return Status::error("cannot read the OpenSSL version of Python's ssl module: " +
                         take_exception_line());
  }
  const unsigned long theirs = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(info.get(), 0));
  PyErr_Clear();
  const std::string text = str_of(PyTuple_GET_ITEM(info.get(), 1));
  if (theirs != tls::openssl_version_number()) {
    return Status::error("The ssl_context hook's SSLContext comes from " + text +
                         " (Python's ssl module) but qilin serves with " +
                         tls::openssl_version_text() +
                         ": qilin can serve only a context made by its own libssl");
  }
  PyObject* file = PyTuple_GET_ITEM(info.get(), 2);
  if (file != Py_None && !tls::shares_libssl(str_of(file))) {
    return Status::error("Python's ssl module (" + str_of(file) +
                         ") does not use the libssl qilin serves with: qilin cannot serve the "
                         "ssl_context hook's SSLContext");
  }
  return Status::ok();
}

Made from_hook(PyObject* hook, const config::Config& config, const tls::Settings& settings,
               log::ErrorLog& log) {
  // Without qilin's TLS library there is nothing to serve the context with;
  // say so before running the hook (and rather than a version mismatch).
  if (const auto& library = tls::library(); !library) return library.status();
  GilAcquire gil;
  PyRef module = hook_module();
  PyRef view = module && init_hook_types() ? new_config_view(config) : PyRef();
  PyRef factory =
      view ? PyRef::steal(PyObject_CallMethod(module.get(), "default_factory", "O", view.get()))
           : PyRef();
  if (!factory) return Made::error("cannot run the ssl_context hook: " + take_exception_line());
  PyObject* argv[2] = {view.get(), factory.get()};
  PyRef context = PyRef::steal(PyObject_Vectorcall(hook, argv, 2, nullptr));
  // `config` may be a HUP's new settings, which are moved once read.
  detach_config_view(view.get());
  if (!context) return Made::error("Exception in ssl_context hook\n" + take_traceback());

  PyRef type = PyRef::steal(PyObject_GetAttrString(module.get(), "SSLContext"));
  const int is_context = type ? PyObject_IsInstance(context.get(), type.get()) : -1;
  PyErr_Clear();
  if (is_context != 1) {
    return Made::error(std::string("The ssl_context hook returned ") +
                       Py_TYPE(context.get())->tp_name + ", not an ssl.SSLContext");
  }
  if (Status s = check_library(module.get()); !s) return s;
  PyRef review = PyRef::steal(PyObject_CallMethod(module.get(), "review", "O", context.get()));
  if (!review || !PyTuple_Check(review.get()) || PyTuple_GET_SIZE(review.get()) != 2) {
    return Made::error("cannot inspect the ssl_context hook's SSLContext: " +
                       take_exception_line());
  }
  const std::string cannot_serve = "The ssl_context hook's SSLContext cannot serve: ";
  if (PyObject* refusal = PyTuple_GET_ITEM(review.get(), 0); refusal != Py_None) {
    return Made::error(cannot_serve + str_of(refusal));
  }

  ssl_ctx_st* ctx = reinterpret_cast<PySSLContextHead*>(context.get())->ctx;
  if (!ctx) return Made::error(cannot_serve + "it holds no OpenSSL context");
  auto made = tls::ServerContext::adopt(ctx, settings, std::make_shared<const HeldObject>(context));
  if (!made) {
    return Made::error(cannot_serve + made.message() +
                       " (default_ssl_context_factory() makes one that can)");
  }
  PyObject* dropped = PyTuple_GET_ITEM(review.get(), 1);
  for (Py_ssize_t i = 0; PyList_Check(dropped) && i < PyList_GET_SIZE(dropped); ++i) {
    log.warning("ssl_context hook: " + str_of(PyList_GET_ITEM(dropped, i)));
  }
  return made;
}

}  // namespace

arbiter::TlsContextMaker tls_context_maker(log::ErrorLog& log) {
  return [&log](const config::Config& config, const tls::Settings& settings) -> Made {
    auto* hook = static_cast<PyObject*>(config.handle("ssl_context").object);
    if (!hook) return tls::ServerContext::create(settings);
    return from_hook(hook, config, settings, log);
  };
}

}  // namespace qilin::python
