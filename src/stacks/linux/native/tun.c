// N-API addon: open a TUN device (IFF_TUN | IFF_NO_PI, non-blocking) in the calling process's
// network namespace and hand its file descriptor to Node, plus waitReadable(fd, ms, cb): poll() on
// a worker thread with a bounded wait, so no thread is ever stuck in read() when the process exits.
// Everything else (addresses, routes, reading and writing packets) is done from JavaScript.
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <node_api.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static napi_value open_tun(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ] = {0};
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "openTun(name): name must be a string of at most 15 characters");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "open /dev/net/tun: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "ioctl TUNSETIFF %s: %s", name, strerror(errno));
    close(fd);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

struct wait_req {
  napi_async_work work;
  napi_ref cb;
  int fd, ms, readable;
};

static void wait_execute(napi_env env, void *data) {
  (void)env;
  struct wait_req *w = data;
  struct pollfd p = {.fd = w->fd, .events = POLLIN};
  w->readable = poll(&p, 1, w->ms) > 0 && (p.revents & POLLIN);
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  struct wait_req *w = data;
  napi_value cb, global, arg;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &global);
  napi_get_boolean(env, status == napi_ok && w->readable, &arg);
  napi_call_function(env, global, cb, 1, &arg, NULL);
  napi_delete_reference(env, w->cb);
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value wait_readable(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct wait_req *w = calloc(1, sizeof *w);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &w->fd) != napi_ok || napi_get_value_int32(env, argv[1], &w->ms) != napi_ok) {
    free(w);
    napi_throw_type_error(env, NULL, "waitReadable(fd, ms, callback)");
    return NULL;
  }
  napi_create_reference(env, argv[2], 1, &w->cb);
  napi_create_string_utf8(env, "tcpc-tun-wait", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, wait_execute, wait_complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, wait;
  napi_create_function(env, "openTun", NAPI_AUTO_LENGTH, open_tun, NULL, &fn);
  napi_set_named_property(env, exports, "openTun", fn);
  napi_create_function(env, "waitReadable", NAPI_AUTO_LENGTH, wait_readable, NULL, &wait);
  napi_set_named_property(env, exports, "waitReadable", wait);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
