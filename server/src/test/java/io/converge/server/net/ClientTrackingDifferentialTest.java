package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CLIENT TRACKING against a real redis-server, raw RESP: default mode (RESP3 invalidation pushes
 * after another client's write, delete and FLUSHALL; one invalidation per read), BCAST with
 * prefixes, OPTIN with CLIENT CACHING, REDIRECT to a RESP2 client subscribed to
 * {@code __redis__:invalidate}, GETREDIR, TRACKINGINFO and the option errors. Every reply and
 * message must be equal.
 */
class ClientTrackingDifferentialTest extends DifferentialTestBase {

    @Test
    void trackingAsInRedis() {
        List<Object> expected = scenario(redis);
        List<Object> actual = scenario(converge);
        assertThat(actual).isEqualTo(expected);
    }

    private static List<Object> scenario(ServerTarget target) {
        List<Object> r = new ArrayList<>();
        try (RespClient a = connect(target, 3); RespClient b = new RespClient(target)) {
            b.call("FLUSHALL");
            r.add(a.call("CLIENT", "GETREDIR"));
            r.add(a.call("CLIENT", "TRACKING", "on"));
            r.add(a.call("CLIENT", "GETREDIR"));
            r.add(a.call("CLIENT", "TRACKINGINFO"));
            r.add(a.call("GET", "k"));
            r.add(b.call("SET", "k", "1"));
            r.add(a.read());
            r.add(b.call("SET", "k", "2")); // not read since: no second invalidation
            r.add(a.call("MGET", "k", "j"));
            r.add(b.call("DEL", "k", "j"));
            r.add(a.read());
            r.add(a.call("HGETALL", "h"));
            r.add(b.call("HSET", "h", "f", "v"));
            r.add(a.read());
            r.add(a.call("GET", "k"));
            r.add(b.call("FLUSHALL"));
            r.add(a.read());
            r.add(a.call("CLIENT", "CACHING", "yes"));
            r.add(a.call("CLIENT", "TRACKING", "on", "PREFIX", "x"));
            r.add(a.call("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"));
            r.add(a.call("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"));
            r.add(a.call("CLIENT", "TRACKING", "on", "REDIRECT", "999999"));
            r.add(a.call("CLIENT", "TRACKING", "maybe"));
            r.add(a.call("CLIENT", "TRACKING", "on", "NOPE"));
            r.add(a.call("CLIENT", "TRACKING", "off"));
            r.add(a.call("CLIENT", "TRACKINGINFO"));
            r.add(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "us"));
            r.add(a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "item:"));
            r.add(a.call("CLIENT", "TRACKINGINFO"));
            r.add(b.call("SET", "other", "x"));
            r.add(b.call("SET", "user:1", "x"));
            r.add(a.read());
            r.add(b.call("SET", "item:9", "x"));
            r.add(a.read());
            r.add(a.call("CLIENT", "TRACKING", "off"));
            r.add(a.call("CLIENT", "TRACKING", "on", "OPTIN"));
            r.add(a.call("GET", "o1"));
            r.add(a.call("CLIENT", "CACHING", "yes"));
            r.add(a.call("GET", "o2"));
            r.add(a.call("CLIENT", "TRACKINGINFO"));
            r.add(b.call("MSET", "o1", "x", "o2", "y"));
            r.add(a.read());
            r.add(a.call("CLIENT", "CACHING", "no"));
            r.add(a.call("CLIENT", "TRACKING", "off"));
        }
        try (RespClient d = new RespClient(target); RespClient e = new RespClient(target);
             RespClient b = new RespClient(target)) {
            long id = (Long) d.call("CLIENT", "ID");
            d.send(RespClient.encode("SUBSCRIBE", "__redis__:invalidate"));
            r.add(d.read());
            r.add(e.call("CLIENT", "TRACKING", "on", "REDIRECT", Long.toString(id)));
            r.add(e.call("CLIENT", "GETREDIR").equals(id));
            r.add(e.call("GET", "rk"));
            r.add(b.call("SET", "rk", "v"));
            r.add(d.read());
            r.add(e.call("CLIENT", "TRACKING", "off"));
        }
        return r;
    }
}
