package io.converge.server.cluster.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.wire.PeerAuth.Role;
import org.junit.jupiter.api.Test;

class PeerAuthTest {

    private final PeerAuth auth = new PeerAuth("correct horse battery staple");
    private final byte[] dialerNonce = PeerAuth.newNonce();
    private final byte[] acceptorNonce = PeerAuth.newNonce();

    @Test
    void aProofVerifiesForItsOwnSessionOnly() {
        byte[] proof = auth.proof(Role.DIALER, "prod", 1, 2, dialerNonce, acceptorNonce);
        assertThat(proof).hasSize(32);
        assertThat(auth.verify(proof, Role.DIALER, "prod", 1, 2, dialerNonce, acceptorNonce)).isTrue();

        assertThat(auth.verify(proof, Role.ACCEPTOR, "prod", 1, 2, dialerNonce, acceptorNonce))
                .as("cannot be reflected to the other role").isFalse();
        assertThat(auth.verify(proof, Role.DIALER, "prod", 1, 2, dialerNonce, PeerAuth.newNonce()))
                .as("cannot be replayed in a session with a fresh nonce").isFalse();
        assertThat(auth.verify(proof, Role.DIALER, "prod", 3, 2, dialerNonce, acceptorNonce))
                .as("bound to the node ids").isFalse();
        assertThat(auth.verify(proof, Role.DIALER, "test", 1, 2, dialerNonce, acceptorNonce))
                .as("bound to the cluster name").isFalse();
    }

    @Test
    void anotherSecretCannotProduceTheProof() {
        byte[] forged = new PeerAuth("wrong").proof(Role.DIALER, "prod", 1, 2, dialerNonce, acceptorNonce);
        assertThat(auth.verify(forged, Role.DIALER, "prod", 1, 2, dialerNonce, acceptorNonce)).isFalse();
    }

    @Test
    void noncesAreFreshAndTheSecretMustExist() {
        assertThat(PeerAuth.newNonce()).hasSize(PeerCodec.NONCE_BYTES).isNotEqualTo(PeerAuth.newNonce());
        assertThatThrownBy(() -> new PeerAuth("")).isInstanceOf(IllegalArgumentException.class);
    }
}
