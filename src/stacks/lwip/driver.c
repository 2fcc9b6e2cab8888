/* tcp-conform driver for lwIP (Debian liblwip 2.1.3), protocol version 1 (docs/adapter-protocol.md).
 *
 * Single-threaded: lwip_init() and the raw TCP API, no tcpip thread. The suite owns the clock:
 * sys_now() below overrides the library's and returns virtual milliseconds, and timers run from
 * sys_check_timeouts() as `advance` moves the clock from one deadline to the next. tcp_next_iss()
 * overrides the library's too, so ISNs come from the seed given with `reset` and the clock.
 *
 * Build: cc -O2 -o lwip-driver driver.c $(pkg-config --cflags --libs lwip)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

/* ---- the suite's clock and ISNs ------------------------------------------------------------ */

static u32_t now_ms;
u32_t sys_now(void) { return now_ms; }

static u32_t iss_state = 1;
u32_t tcp_next_iss(struct tcp_pcb *pcb) {
  /* §3.4.1 (RFC 6528): a clock M of 4 us ticks (250 per ms of the suite's clock) plus F, a scramble of the seed
   * and the 4-tuple, so ISNs differ per seed and per tuple and move forward with time, as lwIP's own do. */
  u32_t z = iss_state ^ ((u32_t)pcb->local_port << 16 | pcb->remote_port) ^ ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return (z ^ (z >> 16)) + now_ms * 250u;
}

/* No tcpip thread: there is no core lock to check. */
void sys_check_core_locking(void) {}

/* ---- output ------------------------------------------------------------------------------------ */

/* The protocol goes to a private copy of stdout; fd 1 itself points at stderr, so whatever the
 * library prints (assertions, debug output) lands in the driver's log, never in the protocol. */
static FILE *out;
#define fputc_out(c) fputc((c), out)
#define fputs_out(s) fputs((s), out)

static int muted; /* while resetting: what lwIP sends is thrown away */

static void hex_out(const u8_t *b, size_t n) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    fputc_out(d[b[i] >> 4]);
    fputc_out(d[b[i] & 15]);
  }
}

/* Lines of output (packets and events) so far: `run` stops at the first one. */
static unsigned long emitted;

static err_t netif_out(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst) {
  (void)nif;
  (void)dst;
  if (muted) return ERR_OK;
  emitted++;
  static u8_t buf[65536];
  u16_t n = pbuf_copy_partial(p, buf, p->tot_len, 0);
  fputs("packet ", out);
  hex_out(buf, n);
  fputc_out('\n');
  return ERR_OK;
}

static struct netif nif;
static err_t netif_setup(struct netif *n) {
  n->output = netif_out;
  n->mtu = 1500;
  n->name[0] = 't';
  n->name[1] = 'c';
  return ERR_OK;
}

/* ---- connections ------------------------------------------------------------------------------- */

#define MAXCONN 256
struct conn {
  struct tcp_pcb *pcb; /* NULL once lwIP has freed it */
  int used;
  int established;
  int app_closed; /* the application let go: no more events but `closed` */
  int paused;     /* the application stopped reading: data waits in held, the window is not reopened */
  u8_t *held;
  size_t held_len;
  size_t held_push[64]; /* push points in held: offsets just past an octet that came with PSH (MAY-17) */
  int held_npush;
  int end_held;
  u16_t lport, rport;
  ip_addr_t raddr;
};
static struct conn conns[MAXCONN];
static struct tcp_pcb *listeners[64];
static int nlisteners;

static int conn_new(struct tcp_pcb *pcb, int established) {
  for (int i = 1; i < MAXCONN; i++)
    if (!conns[i].used) {
      conns[i] = (struct conn){.pcb = pcb, .used = 1, .established = established};
      return i;
    }
  return -1;
}

static void conn_tuple(int id) {
  struct tcp_pcb *p = conns[id].pcb;
  conns[id].lport = p->local_port;
  conns[id].rport = p->remote_port;
  conns[id].raddr = p->remote_ip;
}

/* Is the pcb still one lwIP knows, for the same 4-tuple (freed memory may be reused)? */
static int pcb_alive(int id) {
  struct tcp_pcb *lists[3] = {tcp_active_pcbs, tcp_tw_pcbs, tcp_bound_pcbs};
  for (int k = 0; k < 3; k++)
    for (struct tcp_pcb *p = lists[k]; p; p = p->next)
      if (p == conns[id].pcb && p->local_port == conns[id].lport && p->remote_port == conns[id].rport &&
          ip_addr_cmp(&p->remote_ip, &conns[id].raddr))
        return 1;
  return 0;
}

/* After every command: connections lwIP has deleted without a callback (TIME-WAIT expiry, a close
 * the application already let go of) are reported as closed. */
static void sweep(void) {
  for (int i = 1; i < MAXCONN; i++)
    if (conns[i].used && conns[i].pcb && !pcb_alive(i)) {
      conns[i].pcb = NULL;
      emitted++;
      fprintf(out, "closed c%d\n", i);
    }
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  int id = (int)(intptr_t)arg;
  (void)err;
  emitted++;
  if (!p && conns[id].paused) {
    conns[id].end_held = 1; /* the end of the stream comes after the data that waits */
    return ERR_OK;
  }
  if (!p) {
    fprintf(out, "end c%d\n", id);
    return ERR_OK;
  }
  /* RECEIVE's PUSH flag (§3.9.1.3, MAY-17): lwIP marks the pbuf of a segment that came with PSH. */
  int push = (p->flags & PBUF_FLAG_PUSH) != 0;
  if (conns[id].paused) {
    struct conn *c = &conns[id];
    u8_t *h = realloc(c->held, c->held_len + p->tot_len);
    if (!h) return ERR_MEM; /* lwIP keeps the pbuf and offers it again */
    pbuf_copy_partial(p, h + c->held_len, p->tot_len, 0);
    c->held = h;
    c->held_len += p->tot_len;
    if (push && c->held_npush < 64) c->held_push[c->held_npush++] = c->held_len;
    else if (push) c->held_push[63] = c->held_len; /* keep the latest: it ends the most data */
    pbuf_free(p);
    return ERR_OK;
  }
  static u8_t buf[65536];
  u16_t n = pbuf_copy_partial(p, buf, p->tot_len, 0);
  fprintf(out, "data c%d ", id);
  hex_out(buf, n);
  fputs_out(push ? " push\n" : "\n");
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

/* Deliver the first n held octets; push when a push point lies among them. The points left move down by n. */
static void deliver_held(int id, size_t n) {
  struct conn *c = &conns[id];
  int push = 0, k = 0;
  for (int i = 0; i < c->held_npush; i++) {
    if (c->held_push[i] <= n) push = 1;
    else c->held_push[k++] = c->held_push[i] - n;
  }
  c->held_npush = k;
  fprintf(out, "data c%d ", id);
  hex_out(c->held, n);
  fputs_out(push ? " push\n" : "\n");
}

/* The application reads again: what waited is delivered and the window reopens by as much. */
static void resume_reading(int id) {
  struct conn *c = &conns[id];
  c->paused = 0;
  if (c->held_len) {
    deliver_held(id, c->held_len);
    emitted++;
    for (size_t left = c->held_len; c->pcb && left;) {
      u16_t k = left > 0xffff ? 0xffff : (u16_t)left;
      tcp_recved(c->pcb, k);
      left -= k;
    }
  }
  free(c->held);
  c->held = NULL;
  c->held_len = 0;
  if (c->end_held) fprintf(out, "end c%d\n", id);
  c->end_held = 0;
}

/* The application, reading held, takes up to n octets of what waits; the window reopens as lwIP decides. */
static void read_held(int id, size_t n) {
  struct conn *c = &conns[id];
  if (n > c->held_len) n = c->held_len;
  if (!n) return;
  deliver_held(id, n);
  emitted++;
  memmove(c->held, c->held + n, c->held_len - n);
  c->held_len -= n;
  for (size_t left = n; c->pcb && left;) {
    u16_t k = left > 0xffff ? 0xffff : (u16_t)left;
    tcp_recved(c->pcb, k);
    left -= k;
  }
}

static void on_err(void *arg, err_t err) {
  int id = (int)(intptr_t)arg;
  if (id <= 0 || id >= MAXCONN || !conns[id].used) return;
  emitted++;
  if (conns[id].app_closed) { /* nobody to tell but the oracle */ }
  else if (err == ERR_RST) fprintf(out, "reset c%d%s\n", id, conns[id].established ? "" : " refused");
  else if (err == ERR_ABRT) fprintf(out, "error c%d aborted by lwIP (ERR_ABRT)\n", id);
  else if (err != ERR_CLSD) fprintf(out, "error c%d lwIP error %d\n", id, (int)err);
  fprintf(out, "closed c%d\n", id);
  conns[id].pcb = NULL; /* lwIP has freed the pcb */
}

static void watch(struct tcp_pcb *pcb, int id) {
  tcp_arg(pcb, (void *)(intptr_t)id);
  tcp_recv(pcb, on_recv);
  tcp_err(pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  int id = conn_new(pcb, 1);
  if (id < 0) return ERR_MEM;
  conn_tuple(id);
  watch(pcb, id);
  emitted++;
  fprintf(out, "accepted c%d %u %s %u\n", id, pcb->local_port, ip4addr_ntoa(ip_2_ip4(&pcb->remote_ip)), pcb->remote_port);
  return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  int id = (int)(intptr_t)arg;
  (void)pcb;
  (void)err;
  conns[id].established = 1;
  emitted++;
  fprintf(out, "connected c%d\n", id);
  return ERR_OK;
}

/* ---- reset: forget every pcb, fresh address, fresh seed ------------------------------------------ */

static void forget_all(void) {
  muted = 1;
  for (int i = 0; i < MAXCONN; i++)
    if (conns[i].used && conns[i].pcb) {
      tcp_arg(conns[i].pcb, NULL);
      tcp_err(conns[i].pcb, NULL);
    }
  for (int i = 0; i < MAXCONN; i++) free(conns[i].held);
  memset(conns, 0, sizeof conns);
  while (tcp_active_pcbs) {
    tcp_arg(tcp_active_pcbs, NULL);
    tcp_err(tcp_active_pcbs, NULL);
    tcp_abort(tcp_active_pcbs);
  }
  while (tcp_tw_pcbs) tcp_abort(tcp_tw_pcbs);
  while (tcp_bound_pcbs) tcp_abort(tcp_bound_pcbs);
  for (int i = 0; i < nlisteners; i++) tcp_close(listeners[i]);
  nlisteners = 0;
  muted = 0;
}

/* ---- the command loop ---------------------------------------------------------------------------- */

static int unhex(const char *s, u8_t *out, size_t max, size_t *n) {
  size_t len = strlen(s);
  if (len % 2 || len / 2 > max) return -1;
  for (size_t i = 0; i < len / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (u8_t)v;
  }
  *n = len / 2;
  return 0;
}

static struct tcp_pcb *conn_pcb(const char *tok) {
  int id;
  if (sscanf(tok, "c%d", &id) != 1 || id <= 0 || id >= MAXCONN || !conns[id].used || conns[id].app_closed) return NULL;
  if (conns[id].pcb && !pcb_alive(id)) conns[id].pcb = NULL;
  return conns[id].pcb;
}

static int conn_id(const char *tok) {
  int id;
  return sscanf(tok, "c%d", &id) == 1 && id > 0 && id < MAXCONN ? id : -1;
}

static const char *state_name(enum tcp_state s) {
  static const char *names[] = {"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
                                "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"};
  return s <= TIME_WAIT ? names[s] : "CLOSED";
}

/* Time to the next timer that matters to TCP: none when no connection is alive. */
static long next_timer(void) {
  if (!tcp_active_pcbs && !tcp_tw_pcbs) return -1;
  u32_t t = sys_timeouts_sleeptime();
  return t == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? -1 : (long)t;
}

static void advance(u32_t ms) {
  /* lwIP re-arms its timers relative to now, so move from deadline to deadline, never past one */
  while (ms > 0) {
    u32_t st = sys_timeouts_sleeptime();
    if (st == SYS_TIMEOUTS_SLEEPTIME_INFINITE || st > ms) st = ms;
    now_ms += st;
    ms -= st;
    sys_check_timeouts();
  }
  sys_check_timeouts();
}

/* A fingerprint of every connection's state: `run` stops when it changes (TIME-WAIT expiring says nothing). */
static u32_t state_sig(void) {
  u32_t h = 2166136261u;
  struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
  for (int k = 0; k < 2; k++)
    for (struct tcp_pcb *p = lists[k]; p; p = p->next) h = (h ^ (u32_t)(uintptr_t)p ^ (u32_t)p->state) * 16777619u;
  for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next) h = (h ^ l->local_port) * 16777619u;
  return h;
}

/* Advance up to ms, from deadline to deadline, stopping at the first one after which the stack sent something,
 * raised an event or changed a connection's state. Returns the ms advanced. */
static u32_t run(u32_t ms) {
  unsigned long e0 = emitted;
  u32_t sig = state_sig(), done = 0;
  while (done < ms) {
    u32_t st = sys_timeouts_sleeptime();
    if (st == SYS_TIMEOUTS_SLEEPTIME_INFINITE || st > ms - done) st = ms - done;
    now_ms += st;
    done += st;
    sys_check_timeouts();
    sweep();
    if (emitted != e0 || state_sig() != sig) break;
  }
  return done;
}

static char line[300000];
static u8_t pkt[140000];

/* The answer is printed after the events the command caused (sweep() included). */
static char reply[1024];
#define REPLY(...) snprintf(reply, sizeof reply, __VA_ARGS__)
#define OK() REPLY("ok")
#define ERR(...) (REPLY("err " __VA_ARGS__))

int main(int pargc, char **pargv) {
  int proto = dup(1);
  dup2(2, 1);
  out = fdopen(proto, "w");
  setvbuf(out, NULL, _IOFBF, 1 << 16);
  lwip_init();
  ip4_addr_t a, m, g;
  IP4_ADDR(&a, 10, 0, 0, 1);
  IP4_ADDR(&m, 255, 255, 255, 255);
  IP4_ADDR(&g, 0, 0, 0, 0);
  netif_add(&nif, &a, &m, &g, NULL, netif_setup, ip_input);
  netif_set_default(&nif);
  netif_set_up(&nif);
  netif_set_link_up(&nif);

  if (pargc == 4 && !strcmp(pargv[1], "--reset")) { /* the second half of `reset` */
    ip4_addr_t na;
    ip4addr_aton(pargv[2], &na);
    netif_set_ipaddr(&nif, &na);
    iss_state = (u32_t)strtoul(pargv[3], NULL, 10);
    fputs("ok\n", out);
    fflush(out);
  }

  while (fgets(line, sizeof line, stdin)) {
    size_t L = strlen(line);
    while (L && (line[L - 1] == '\n' || line[L - 1] == '\r')) line[--L] = 0;
    char *argv[8] = {0};
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < 8; t = strtok(NULL, " ")) argv[argc++] = t;
    const char *cmd = argc ? argv[0] : "";

    if (!strcmp(cmd, "hello")) {
      REPLY("ok hello 2 name=lwip-%s clock=virtual state=1 ipv4=1 ipv6=0 stderr=log run=1 controls=keepalive,reading,read,nodelay,ttl,dscp,push",
            LWIP_VERSION_STRING);
    } else if (!strcmp(cmd, "quit")) {
      fputs("ok\n", out);
      fflush(out);
      return 0;
    } else if (!strcmp(cmd, "reset") && argc == 3) {
      ip4_addr_t na;
      if (!ip4addr_aton(argv[1], &na)) ERR("bad address %s", argv[1]);
      else {
        /* A fresh process image is the only complete reset: new lwIP state, clock back at 0 and
         * every timer in the same phase, so a scenario replays exactly. stdin holds nothing past
         * this line (one command at a time), and the protocol fd goes back to being fd 1. */
        fflush(out);
        dup2(fileno(out), 1);
        execl("/proc/self/exe", "lwip-driver", "--reset", argv[1], argv[2], (char *)NULL);
        dup2(2, 1); /* exec failed: reset in place */
        forget_all();
        netif_set_ipaddr(&nif, &na);
        iss_state = (u32_t)strtoul(argv[2], NULL, 10);
        OK();
      }
    } else if (!strcmp(cmd, "listen") && argc == 2) {
      struct tcp_pcb *pcb = tcp_new();
      err_t e = pcb ? tcp_bind(pcb, &nif.ip_addr, (u16_t)atoi(argv[1])) : ERR_MEM;
      if (e != ERR_OK) {
        if (pcb) tcp_abort(pcb);
        ERR("tcp_bind failed: %d", (int)e);
      } else if (nlisteners >= 64) {
        tcp_abort(pcb);
        ERR("too many listeners");
      } else {
        struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 16);
        tcp_accept(l, on_accept);
        listeners[nlisteners++] = l;
        OK();
      }
    } else if (!strcmp(cmd, "connect") && argc == 4) {
      ip_addr_t ra;
      struct tcp_pcb *pcb = tcp_new();
      int id = pcb ? conn_new(pcb, 0) : -1;
      if (!ip4addr_aton(argv[2], ip_2_ip4(&ra))) ERR("bad address %s", argv[2]);
      else if (id < 0) ERR("out of connections");
      else {
        IP_SET_TYPE_VAL(ra, IPADDR_TYPE_V4);
        watch(pcb, id);
        err_t e = tcp_bind(pcb, &nif.ip_addr, (u16_t)atoi(argv[1]));
        if (e == ERR_OK) e = tcp_connect(pcb, &ra, (u16_t)atoi(argv[3]), on_connected);
        if (e == ERR_OK) conn_tuple(id);
        if (e != ERR_OK) {
          conns[id].used = 0;
          tcp_arg(pcb, NULL);
          tcp_abort(pcb);
          ERR("connect failed: lwIP error %d", (int)e);
        } else REPLY("ok c%d", id);
      }
    } else if (!strcmp(cmd, "write") && (argc == 3 || (argc == 4 && !strcmp(argv[3], "more")))) {
      struct tcp_pcb *pcb = conn_pcb(argv[1]);
      size_t n;
      /* `more`: SEND without PUSH (MAY-15), lwIP's TCP_WRITE_FLAG_MORE: no PSH where the data ends */
      u8_t flags = TCP_WRITE_FLAG_COPY | (argc == 4 ? TCP_WRITE_FLAG_MORE : 0);
      if (!pcb) ERR("connection %s is closed", argv[1]);
      else if (unhex(argv[2], pkt, sizeof pkt, &n)) ERR("write: bad hex");
      else {
        err_t e = tcp_write(pcb, pkt, (u16_t)n, flags);
        if (e == ERR_OK) e = tcp_output(pcb);
        if (e == ERR_MEM) REPLY("busy tcp_write: out of send buffer or queue (send buffer %u, queue %u)", (unsigned)tcp_sndbuf(pcb), (unsigned)tcp_sndqueuelen(pcb));
        else if (e != ERR_OK) ERR("tcp_write failed: lwIP error %d", (int)e);
        else OK();
      }
    } else if ((!strcmp(cmd, "shutdown") || !strcmp(cmd, "close") || !strcmp(cmd, "abort")) && argc == 2) {
      struct tcp_pcb *pcb = conn_pcb(argv[1]);
      int id = conn_id(argv[1]);
      if (!pcb && id > 0 && conns[id].used && strcmp(cmd, "shutdown")) {
        conns[id].app_closed = 1; /* letting go of a connection lwIP already deleted is not an error */
        OK();
      } else if (!pcb) ERR("connection %s is closed", argv[1]);
      else if (!strcmp(cmd, "shutdown")) {
        err_t e = tcp_shutdown(pcb, 0, 1);
        if (e != ERR_OK) ERR("tcp_shutdown failed: lwIP error %d", (int)e);
        else OK();
      } else if (!strcmp(cmd, "close")) {
        /* the application lets go of the pcb: lwIP finishes the close on its own; sweep() reports its end */
        tcp_recv(pcb, NULL);
        conns[id].app_closed = 1;
        err_t e = tcp_close(pcb);
        if (e != ERR_OK) {
          tcp_abort(pcb);
          ERR("tcp_close failed: lwIP error %d (aborted instead)", (int)e);
        } else OK();
      } else {
        conns[id].app_closed = 1;
        tcp_abort(pcb); /* on_err reports closed */
        OK();
      }
    } else if (!strcmp(cmd, "control") && argc == 4 && !strcmp(argv[2], "reading")) {
      /* control CONN reading pause|resume: hold what arrives (no tcp_recved) or hand it over */
      int id = conn_id(argv[1]);
      if (!conn_pcb(argv[1])) ERR("connection %s is closed", argv[1]);
      else if (!strcmp(argv[3], "pause")) {
        conns[id].paused = 1;
        OK();
      } else if (!strcmp(argv[3], "resume")) {
        resume_reading(id);
        OK();
      } else ERR("reading: pause or resume, got %s", argv[3]);
    } else if (!strcmp(cmd, "control") && argc == 4 && !strcmp(argv[2], "read")) {
      /* control CONN read N: with reading held, hand over up to N of the octets that wait */
      int id = conn_id(argv[1]);
      char *end = NULL;
      long v = strtol(argv[3], &end, 10);
      if (!conn_pcb(argv[1])) ERR("connection %s is closed", argv[1]);
      else if (!*argv[3] || *end || v < 1) ERR("read: a positive number of octets, got %s", argv[3]);
      else {
        if (conns[id].paused) read_held(id, (size_t)v);
        OK();
      }
    } else if (!strcmp(cmd, "control") && argc == 4 && (!strcmp(argv[2], "ttl") || !strcmp(argv[2], "dscp"))) {
      /* control CONN ttl N | dscp N: the pcb's IP TTL or Diffserv codepoint (tos = dscp << 2) for what it sends next */
      struct tcp_pcb *pcb = conn_pcb(argv[1]);
      char *end = NULL;
      long v = strtol(argv[3], &end, 10);
      int ttl = !strcmp(argv[2], "ttl");
      if (!pcb) ERR("connection %s is closed", argv[1]);
      else if (!*argv[3] || *end || v < (ttl ? 1 : 0) || v > (ttl ? 255 : 63))
        ERR("%s: an integer from %d to %d, got %s", argv[2], ttl ? 1 : 0, ttl ? 255 : 63, argv[3]);
      else {
        if (ttl) pcb->ttl = (u8_t)v;
        else pcb->tos = (u8_t)(v << 2);
        OK();
      }
    } else if (!strcmp(cmd, "control") && argc == 4 && !strcmp(argv[2], "nodelay")) {
      /* control CONN nodelay on|off: Nagle off (TF_NODELAY) or back on; turned off, what Nagle held goes out now */
      struct tcp_pcb *pcb = conn_pcb(argv[1]);
      if (!pcb) ERR("connection %s is closed", argv[1]);
      else if (!strcmp(argv[3], "on")) {
        tcp_nagle_disable(pcb);
        tcp_output(pcb);
        OK();
      } else if (!strcmp(argv[3], "off")) {
        tcp_nagle_enable(pcb);
        OK();
      } else ERR("nodelay: on or off, got %s", argv[3]);
    } else if (!strcmp(cmd, "control") && argc >= 4 && !strcmp(argv[2], "keepalive")) {
      /* control CONN keepalive on [idle=MS] [interval=MS] [probes=N] | keepalive off (SOF_KEEPALIVE, pcb timers) */
      struct tcp_pcb *pcb = conn_pcb(argv[1]);
      int bad = 0;
      if (!pcb) ERR("connection %s is closed", argv[1]);
      else if (!strcmp(argv[3], "off")) {
        ip_reset_option(pcb, SOF_KEEPALIVE);
        OK();
      } else if (strcmp(argv[3], "on")) ERR("keepalive: on or off, got %s", argv[3]);
      else {
        for (int k = 4; k < argc; k++) {
          char *eq = strchr(argv[k], '=');
          unsigned long v = eq ? strtoul(eq + 1, NULL, 10) : 0;
          if (!eq || v == 0) bad = 1;
          else if (!strncmp(argv[k], "idle=", 5)) pcb->keep_idle = (u32_t)v;
          else if (!strncmp(argv[k], "interval=", 9)) pcb->keep_intvl = (u32_t)v;
          else if (!strncmp(argv[k], "probes=", 7)) pcb->keep_cnt = (u32_t)v;
          else bad = 1;
        }
        if (bad) ERR("keepalive: settings are idle=MS interval=MS probes=N");
        else {
          ip_set_option(pcb, SOF_KEEPALIVE);
          OK();
        }
      }
    } else if (!strcmp(cmd, "advance") && argc == 2) {
      advance((u32_t)strtoul(argv[1], NULL, 10));
      OK();
    } else if (!strcmp(cmd, "run") && argc == 2) {
      REPLY("ok %lu", (unsigned long)run((u32_t)strtoul(argv[1], NULL, 10)));
    } else if (!strcmp(cmd, "next") && argc == 1) {
      long t = next_timer();
      if (t < 0) REPLY("ok none");
      else REPLY("ok %ld", t);
    } else if (!strcmp(cmd, "deliver") && argc == 2) {
      size_t n;
      if (unhex(argv[1], pkt, sizeof pkt, &n) || n == 0 || n > 65535) ERR("deliver: bad hex");
      else {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (!p) ERR("deliver: out of memory");
        else {
          memcpy(p->payload, pkt, n);
          if (nif.input(p, &nif) != ERR_OK) pbuf_free(p);
          OK();
        }
      }
    } else if (!strcmp(cmd, "sync") && argc == 1) {
      OK();
    } else if (!strcmp(cmd, "state") && argc == 4) {
      ip4_addr_t ra;
      u16_t lp = (u16_t)atoi(argv[1]), rp = (u16_t)atoi(argv[3]);
      const char *st = "CLOSED";
      if (!ip4addr_aton(argv[2], &ra)) ERR("bad address %s", argv[2]);
      else {
        struct tcp_pcb *lists[2] = {tcp_active_pcbs, tcp_tw_pcbs};
        for (int k = 0; k < 2; k++)
          for (struct tcp_pcb *p = lists[k]; p; p = p->next)
            if (p->local_port == lp && p->remote_port == rp && ip4_addr_cmp(ip_2_ip4(&p->remote_ip), &ra)) st = state_name(p->state);
        if (!strcmp(st, "CLOSED"))
          for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
            if (l->local_port == lp) st = "LISTEN";
        REPLY("ok %s", st);
      }
    } else {
      ERR("unknown command or wrong arguments: %s (%d tokens)", cmd, argc);
    }
    sweep();
    fprintf(out, "%s\n", reply);
    fflush(out);
  }
  return 0;
}
