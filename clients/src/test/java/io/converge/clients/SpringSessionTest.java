package io.converge.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.session.FindByIndexNameSessionRepository;
import org.springframework.session.Session;
import org.springframework.session.data.redis.RedisIndexedSessionRepository;
import org.springframework.session.data.redis.config.annotation.web.http.EnableRedisIndexedHttpSession;
import org.springframework.session.events.AbstractSessionEvent;
import org.springframework.session.events.SessionCreatedEvent;
import org.springframework.session.events.SessionDeletedEvent;
import org.springframework.session.events.SessionExpiredEvent;

/**
 * Spring Session's indexed Redis repository (sessions as hashes, a principal-name index, RENAME
 * when a session id changes at login, and session events from keyspace notifications and pub/sub,
 * with {@code notify-keyspace-events} set by the library at start) as two application instances
 * would use it behind a load balancer: one connected to node 1, one to node 2 of a 3-node cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringSessionTest {
    private LocalCluster cluster;
    private App one;
    private App two;

    /** One application instance: a Spring context with the indexed repository on one node, and the session events it saw. */
    private record App(AnnotationConfigApplicationContext context, RedisIndexedSessionRepository sessions, Events events) {
        static App on(int port) {
            AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
            context.registerBean("port", Integer.class, () -> port);
            context.register(SessionConfig.class);
            context.refresh();
            return new App(context, context.getBean(RedisIndexedSessionRepository.class), context.getBean(Events.class));
        }
    }

    /** The application's configuration, as Spring Session's documentation writes it. */
    @Configuration
    @EnableRedisIndexedHttpSession(maxInactiveIntervalInSeconds = 600)
    static class SessionConfig {
        @Bean
        LettuceConnectionFactory connectionFactory(Integer port) {
            return new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port));
        }

        @Bean
        Events events() {
            return new Events();
        }
    }

    /** Collects the session events an application receives. */
    static final class Events {
        final List<AbstractSessionEvent> received = new CopyOnWriteArrayList<>();

        @EventListener
        public void on(AbstractSessionEvent event) {
            received.add(event);
        }

        long count(Class<? extends AbstractSessionEvent> type, String sessionId) {
            return received.stream().filter(e -> type.isInstance(e) && e.getSessionId().equals(sessionId)).count();
        }
    }

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.start();
        one = App.on(cluster.port(1));
        two = App.on(cluster.port(2));
    }

    @AfterAll
    void stop() {
        for (App app : new App[] {one, two}) {
            if (app != null) {
                app.context().close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theLibraryTurnsOnKeyspaceEventsOnEveryNode() {
        // Each instance ran CONFIG SET on its own node; node 3, which no instance uses, must
        // still publish the expiries it is the designated replica for.
        for (int node = 1; node <= 3; node++) {
            LettuceConnectionFactory factory = new LettuceConnectionFactory(
                    new RedisStandaloneConfiguration("127.0.0.1", cluster.port(node)));
            factory.afterPropertiesSet();
            factory.start();
            try (RedisConnection c = factory.getConnection()) {
                String flags = c.serverCommands().getConfig("notify-keyspace-events").getProperty("notify-keyspace-events");
                assertThat(flags).as("node %d", node).contains("E").contains("g").contains("x");
            } finally {
                factory.destroy();
            }
        }
    }

    @Test
    void aSessionSavedOnOneInstanceIsFoundAndIndexedOnTheOther() {
        RedisIndexedSessionRepository.RedisSession session = one.sessions().createSession();
        session.setAttribute(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME, "alice");
        session.setAttribute("cart", "3 items");
        one.sessions().save(session);
        String id = session.getId();

        Session found = two.sessions().findById(id);
        assertThat(found).isNotNull();
        assertThat((String) found.getAttribute("cart")).isEqualTo("3 items");
        Map<String, RedisIndexedSessionRepository.RedisSession> byPrincipal = two.sessions().findByPrincipalName("alice");
        assertThat(byPrincipal).containsOnlyKeys(id);

        // The created event goes out over pub/sub: both instances hear it, once.
        await(() -> one.events().count(SessionCreatedEvent.class, id) == 1 && two.events().count(SessionCreatedEvent.class, id) == 1);

        // At login the application changes the session id (a RENAME of the session's keys).
        RedisIndexedSessionRepository.RedisSession onTwo = two.sessions().findById(id);
        String newId = onTwo.changeSessionId();
        onTwo.setAttribute("cart", "4 items");
        two.sessions().save(onTwo);
        assertThat(one.sessions().findById(id)).isNull();
        Session renamed = one.sessions().findById(newId);
        assertThat(renamed).isNotNull();
        assertThat((String) renamed.getAttribute("cart")).isEqualTo("4 items");
        assertThat(one.sessions().findByPrincipalName("alice")).containsOnlyKeys(newId);

        // Logout on instance 1: instance 2 hears the deletion (a keyspace `del` event), once.
        one.sessions().deleteById(newId);
        assertThat(two.sessions().findById(newId)).isNull();
        assertThat(two.sessions().findByPrincipalName("alice")).isEmpty();
        await(() -> two.events().count(SessionDeletedEvent.class, newId) == 1);
        assertThat(one.events().count(SessionDeletedEvent.class, newId)).isEqualTo(1);
        assertThat(two.events().count(SessionExpiredEvent.class, newId)).isZero();
    }

    @Test
    void sessionsThatExpireAreAnnouncedOnceToEveryInstance() throws Exception {
        // Several sessions, so that the designated replica of some of them is node 3.
        List<String> ids = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 6; i++) {
            RedisIndexedSessionRepository.RedisSession s = (i % 2 == 0 ? one : two).sessions().createSession();
            s.setMaxInactiveInterval(Duration.ofSeconds(1));
            s.setAttribute(FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME, "bob" + i);
            (i % 2 == 0 ? one : two).sessions().save(s);
            ids.add(s.getId());
        }
        await(() -> ids.stream().allMatch(id -> one.events().count(SessionExpiredEvent.class, id) >= 1
                && two.events().count(SessionExpiredEvent.class, id) >= 1));
        Thread.sleep(2_000); // a second announcement would have arrived by now
        for (String id : ids) {
            assertThat(one.events().count(SessionExpiredEvent.class, id)).as("instance 1, %s", id).isEqualTo(1);
            assertThat(two.events().count(SessionExpiredEvent.class, id)).as("instance 2, %s", id).isEqualTo(1);
            assertThat(one.sessions().findById(id)).isNull();
        }
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 60 s for the condition").isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
