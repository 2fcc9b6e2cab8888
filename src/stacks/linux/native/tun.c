// N-API addon: open a TUN device (IFF_TUN | IFF_NO_PI, non-blocking) in the calling process's
// network namespace and hand its file descriptor to Node, plus waitReadable(fd, ms, cb): poll() on
// a worker thread with a bounded wait, so no thread is ever stuck in read() when the process exits.
// tcpDiag(src, sport, dst, dport): one socket-diag query (NETLINK_SOCK_DIAG, exact 4-tuple, no table walk) for
// a TCP socket's state and pending timer.
// setTcpInt(fd, option, value): setsockopt(fd, IPPROTO_TCP, option, int) for the keep-alive timing Node has no
// call for (TCP_KEEPINTVL, TCP_KEEPCNT).
// Everything else (addresses, routes, reading and writing packets) is done from JavaScript.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

static int diag_fd = -1;
static unsigned diag_seq = 0;

static void throw_errno(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
}

/** [state, timer, expiresMs, retrans] of the TCP socket on (src:sport, dst:dport), or null when there is none. */
static napi_value tcp_diag(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], out = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char src[32] = {0}, dst[32] = {0};
  int32_t sport = 0, dport = 0;
  size_t len;
  struct in_addr s, d;
  if (argc < 4 || napi_get_value_string_utf8(env, argv[0], src, sizeof src, &len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &sport) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], dst, sizeof dst, &len) != napi_ok ||
      napi_get_value_int32(env, argv[3], &dport) != napi_ok || inet_pton(AF_INET, src, &s) != 1 ||
      inet_pton(AF_INET, dst, &d) != 1) {
    napi_throw_type_error(env, NULL, "tcpDiag(srcAddr, srcPort, dstAddr, dstPort): IPv4 addresses and ports");
    return NULL;
  }
  if (diag_fd < 0 && (diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0) {
    throw_errno(env, "socket(NETLINK_SOCK_DIAG)");
    return NULL;
  }
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
  } req;
  memset(&req, 0, sizeof req);
  req.nlh.nlmsg_len = sizeof req;
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST;
  req.nlh.nlmsg_seq = ++diag_seq;
  req.r.sdiag_family = AF_INET;
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_states = ~0u;
  req.r.id.idiag_sport = htons((uint16_t)sport);
  req.r.id.idiag_dport = htons((uint16_t)dport);
  req.r.id.idiag_src[0] = s.s_addr;
  req.r.id.idiag_dst[0] = d.s_addr;
  req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(diag_fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    throw_errno(env, "sock_diag send");
    return NULL;
  }
  long buf[2048];
  for (;;) {
    ssize_t n = recv(diag_fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(env, "sock_diag recv");
      return NULL;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != diag_seq) continue; // an answer to an earlier, abandoned query
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error == -ENOENT || e->error == 0) {
          napi_get_null(env, &out);
          return out;
        }
        errno = -e->error;
        throw_errno(env, "sock_diag query");
        return NULL;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      struct inet_diag_msg *m = NLMSG_DATA(h);
      napi_value v;
      napi_create_array_with_length(env, 4, &out);
      uint32_t fields[4] = {m->idiag_state, m->idiag_timer, m->idiag_expires, m->idiag_retrans};
      for (uint32_t i = 0; i < 4; i++) {
        napi_create_uint32(env, fields[i], &v);
        napi_set_element(env, out, i, v);
      }
      return out;
    }
  }
}

// setsockopt(fd, level, option, int) from three integer arguments; `what` names the call in errors.
static napi_value set_int(napi_env env, napi_callback_info info, int level, const char *what) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, opt = 0, val = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &opt) != napi_ok || napi_get_value_int32(env, argv[2], &val) != napi_ok) {
    char msg[80];
    snprintf(msg, sizeof msg, "%s(fd, option, value): three integers", what);
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  if (setsockopt(fd, level, opt, &val, sizeof val) < 0) {
    throw_errno(env, level == IPPROTO_TCP ? "setsockopt(IPPROTO_TCP)"
                     : level == IPPROTO_IP ? "setsockopt(IPPROTO_IP)" : "setsockopt(SOL_SOCKET)");
    return NULL;
  }
  return NULL;
}

static napi_value set_tcp_int(napi_env env, napi_callback_info info) {
  return set_int(env, info, IPPROTO_TCP, "setTcpInt");
}

// setIpInt(fd, option, value): setsockopt(fd, IPPROTO_IP, option, int) for IP_TTL and IP_TOS.
static napi_value set_ip_int(napi_env env, napi_callback_info info) {
  return set_int(env, info, IPPROTO_IP, "setIpInt");
}

// setSolInt(fd, option, value): setsockopt(fd, SOL_SOCKET, option, int) for SO_OOBINLINE.
static napi_value set_sol_int(napi_env env, napi_callback_info info) {
  return set_int(env, info, SOL_SOCKET, "setSolInt");
}

// sendOob(fd, buffer): send(fd, buffer, MSG_OOB | MSG_DONTWAIT), the urgent write (§3.9.1.2); returns the octets sent.
static napi_value send_oob(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  void *data = NULL;
  size_t len = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendOob(fd, buffer): an integer and a Buffer");
    return NULL;
  }
  ssize_t n = send(fd, data, len, MSG_OOB | MSG_DONTWAIT);
  if (n < 0) {
    throw_errno(env, "send(MSG_OOB)");
    return NULL;
  }
  napi_value out;
  napi_create_int64(env, (int64_t)n, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, wait;
  napi_create_function(env, "openTun", NAPI_AUTO_LENGTH, open_tun, NULL, &fn);
  napi_set_named_property(env, exports, "openTun", fn);
  napi_create_function(env, "waitReadable", NAPI_AUTO_LENGTH, wait_readable, NULL, &wait);
  napi_set_named_property(env, exports, "waitReadable", wait);
  napi_value diag;
  napi_create_function(env, "tcpDiag", NAPI_AUTO_LENGTH, tcp_diag, NULL, &diag);
  napi_set_named_property(env, exports, "tcpDiag", diag);
  napi_value tcpint;
  napi_create_function(env, "setTcpInt", NAPI_AUTO_LENGTH, set_tcp_int, NULL, &tcpint);
  napi_set_named_property(env, exports, "setTcpInt", tcpint);
  napi_value ipint;
  napi_create_function(env, "setIpInt", NAPI_AUTO_LENGTH, set_ip_int, NULL, &ipint);
  napi_set_named_property(env, exports, "setIpInt", ipint);
  napi_value solint, oob;
  napi_create_function(env, "setSolInt", NAPI_AUTO_LENGTH, set_sol_int, NULL, &solint);
  napi_set_named_property(env, exports, "setSolInt", solint);
  napi_create_function(env, "sendOob", NAPI_AUTO_LENGTH, send_oob, NULL, &oob);
  napi_set_named_property(env, exports, "sendOob", oob);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
