package io.converge.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.redisson.cas.RedissonBasedProxyManager;
import java.time.Duration;
import org.redisson.Redisson;
import org.redisson.api.RAtomicLong;
import org.redisson.api.RBlockingQueue;
import org.redisson.api.RBucket;
import org.redisson.api.RLock;
import org.redisson.api.RMap;
import org.redisson.api.RMapCache;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.config.Config;

/**
 * Redisson (its locks, atomics, maps and queues are Lua scripts and blocking list commands) and
 * Bucket4j's Redisson backend (compare-and-swap scripts) against a 3-node cluster: two clients,
 * connected to two different nodes where the structure allows it, as an application would use them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedissonTest {
    private LocalCluster cluster;
    private RedissonClient one;
    private RedissonClient two;

    @BeforeAll
    void start() throws Exception {
        cluster = LocalCluster.start();
        one = client(1);
        two = client(2);
    }

    private RedissonClient client(int node) {
        Config config = new Config();
        config.useSingleServer().setAddress(cluster.address(node)).setConnectionMinimumIdleSize(2)
                .setConnectionPoolSize(8).setSubscriptionConnectionMinimumIdleSize(1).setTimeout(5000);
        return Redisson.create(config);
    }

    @AfterAll
    void stop() {
        if (one != null) {
            one.shutdown();
        }
        if (two != null) {
            two.shutdown();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aLockIsExclusiveReentrantAndReleased() throws Exception {
        RLock lock = one.getLock("lock:a");
        lock.lock();
        lock.lock(); // reentrant
        assertThat(lock.isLocked()).isTrue();
        assertThat(lock.getHoldCount()).isEqualTo(2);
        // Another thread of the same client cannot take it while it is held.
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<Boolean> attempt = other.submit(() -> one.getLock("lock:a").tryLock(100, TimeUnit.MILLISECONDS));
            assertThat(attempt.get()).isFalse();
            lock.unlock();
            lock.unlock();
            assertThat(lock.isLocked()).isFalse();
            Future<Boolean> again = other.submit(() -> {
                RLock l = one.getLock("lock:a");
                boolean got = l.tryLock(1, 5, TimeUnit.SECONDS);
                if (got) {
                    l.unlock();
                }
                return got;
            });
            assertThat(again.get()).isTrue();
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aLockSerialisesCriticalSectionsOfOneClient() throws Exception {
        int threads = 4;
        int rounds = 25;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch done = new CountDownLatch(threads);
        try {
            for (int t = 0; t < threads; t++) {
                pool.execute(() -> {
                    try {
                        for (int i = 0; i < rounds; i++) {
                            RLock l = one.getLock("lock:counter");
                            l.lock(10, TimeUnit.SECONDS);
                            try {
                                if (inside.incrementAndGet() > 1) {
                                    overlaps.incrementAndGet();
                                }
                                RBucket<Integer> b = one.getBucket("locked:counter");
                                Integer v = b.get();
                                b.set(v == null ? 1 : v + 1);
                                inside.decrementAndGet();
                            } finally {
                                l.unlock();
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(overlaps.get()).isZero();
        assertThat(one.<Integer>getBucket("locked:counter").get()).isEqualTo(threads * rounds);
    }

    @Test
    void atomicLongCountsAndComparesAndSets() {
        RAtomicLong counter = one.getAtomicLong("atomic");
        counter.set(0);
        for (int i = 0; i < 10; i++) {
            counter.incrementAndGet();
        }
        assertThat(counter.addAndGet(5)).isEqualTo(15);
        assertThat(counter.compareAndSet(15, 100)).isTrue();
        assertThat(counter.compareAndSet(15, 200)).isFalse();
        assertThat(counter.getAndDelete()).isEqualTo(100);
        assertThat(counter.isExists()).isFalse();
    }

    @Test
    void mapsWorkThroughTheirScripts() {
        RMap<String, String> map = one.getMap("map");
        map.clear();
        assertThat(map.put("a", "1")).isNull();
        assertThat(map.put("a", "2")).isEqualTo("1");
        assertThat(map.putIfAbsent("a", "3")).isEqualTo("2");
        assertThat(map.fastPut("b", "x")).isTrue();
        assertThat(map.replace("b", "y")).isEqualTo("x");
        assertThat(map.readAllMap()).isEqualTo(Map.of("a", "2", "b", "y"));
        assertThat(map.remove("a")).isEqualTo("2");
        assertThat(map.size()).isEqualTo(1);
        RMapCache<String, String> cache = one.getMapCache("mapcache");
        cache.put("k", "v", 60, TimeUnit.SECONDS);
        assertThat(cache.get("k")).isEqualTo("v");
        assertThat(cache.remainTimeToLive("k")).isPositive();
    }

    @Test
    void aBlockingQueueHandsElementsFromOneNodeToAnother() throws Exception {
        RBlockingQueue<String> producer = one.getBlockingQueue("queue");
        RBlockingQueue<String> consumer = two.getBlockingQueue("queue");
        producer.clear();
        ExecutorService taker = Executors.newSingleThreadExecutor();
        try {
            Future<String> taken = taker.submit(() -> consumer.poll(10, TimeUnit.SECONDS));
            Thread.sleep(200);
            producer.offer("job-1");
            assertThat(taken.get(15, TimeUnit.SECONDS)).isEqualTo("job-1");
            producer.offer("job-2");
            producer.offer("job-3");
            assertThat(consumer.take()).isEqualTo("job-2");
            assertThat(consumer.poll()).isEqualTo("job-3");
            assertThat(consumer.poll()).isNull();
        } finally {
            taker.shutdownNow();
        }
    }

    @Test
    void bucket4jOnRedissonLimitsAcrossTwoNodes() {
        ProxyManager<String> onOne = RedissonBasedProxyManager.builderFor(((Redisson) one).getCommandExecutor())
                .withExpirationStrategy(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofMinutes(1)))
                .build();
        ProxyManager<String> onTwo = RedissonBasedProxyManager.builderFor(((Redisson) two).getCommandExecutor())
                .withExpirationStrategy(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofMinutes(1)))
                .build();
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(6).refillGreedy(6, Duration.ofHours(1))).build();
        Bucket first = onOne.builder().build("bucket4j:api-key", () -> config);
        Bucket second = onTwo.builder().build("bucket4j:api-key", () -> config);
        int granted = 0;
        for (int i = 0; i < 5; i++) {
            granted += first.tryConsume(1) ? 1 : 0;
        }
        sameStateOnBothNodes("bucket4j:api-key");
        // Node 2 sees what node 1 took: one token is left, then none.
        for (int i = 0; i < 3; i++) {
            granted += second.tryConsume(1) ? 1 : 0;
        }
        sameStateOnBothNodes("bucket4j:api-key");
        granted += first.tryConsume(1) ? 1 : 0;
        assertThat(granted).isEqualTo(6);
        assertThat(first.getAvailableTokens()).isZero();
    }

    /**
     * Waits until nodes 1 and 2 hold the same value of {@code key}: a consumption made on one node
     * is seen by the other once its delta arrived (two nodes consuming at the same instant can
     * both be granted the last token: the limit is per replica between two deltas).
     */
    private void sameStateOnBothNodes(String key) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Object a = one.getBucket(key, ByteArrayCodec.INSTANCE).get();
            Object b = two.getBucket(key, ByteArrayCodec.INSTANCE).get();
            if (a != null && java.util.Arrays.equals((byte[]) a, (byte[]) b)) {
                return;
            }
            assertThat(System.nanoTime()).as("state of %s the same on nodes 1 and 2", key).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    void aRateLimiterLimits() {
        RRateLimiter limiter = one.getRateLimiter("limiter");
        limiter.delete();
        assertThat(limiter.trySetRate(RateType.OVERALL, 5, 10, org.redisson.api.RateIntervalUnit.SECONDS)).isTrue();
        int granted = 0;
        for (int i = 0; i < 8; i++) {
            if (limiter.tryAcquire()) {
                granted++;
            }
        }
        assertThat(granted).isEqualTo(5);
    }
}
