package io.converge.server.config;

/** A named user allowed to AUTH with a password (all users may run every command). */
public record UserSpec(String name, String password) {}
