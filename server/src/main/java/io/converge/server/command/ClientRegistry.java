package io.converge.server.command;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The connected clients, by id (CLIENT LIST/KILL, INFO clients, idle timeouts). Thread-safe. */
public final class ClientRegistry {
    private final Map<Long, ClientConnection> clients = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);

    /** A fresh client id (ids are never reused). */
    public long nextId() {
        return nextId.getAndIncrement();
    }

    /** Adds a connected client. */
    public void add(ClientConnection c) {
        clients.put(c.id(), c);
    }

    /** Removes a disconnected client. */
    public void remove(ClientConnection c) {
        clients.remove(c.id(), c);
    }

    /** The client with {@code id}, or null. */
    public ClientConnection byId(long id) {
        return clients.get(id);
    }

    /** Number of connected clients. */
    public int count() {
        return clients.size();
    }

    /** All clients, in id (connection) order. */
    public List<ClientConnection> all() {
        List<ClientConnection> list = new ArrayList<>(clients.values());
        list.sort(Comparator.comparingLong(ClientConnection::id));
        return list;
    }
}
