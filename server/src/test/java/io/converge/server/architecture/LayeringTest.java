package io.converge.server.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The package layering of DESIGN §7, enforced (as Kafka enforces "no one depends on the server"):
 * a lower layer never imports a higher one. From the bottom: {@code keyspace} (tokens, leaves);
 * {@code config}, {@code node} (engine contract, INFO), {@code util}; {@code protocol} (RESP);
 * {@code store} (engines, persistence); {@code cluster} core, {@code wire}, {@code net},
 * {@code sim}; {@code replication}; {@code command} and its data families; {@code scripting} (Lua,
 * over the commands); the request path
 * ({@code cluster.routing}, {@code net} client side); the admin endpoint ({@code admin}, read-only
 * over the node's services); the bootstrap ({@code io.converge.server} itself and {@code cli}),
 * which nothing imports.
 */
class LayeringTest {

    private static final String ROOT = "io.converge.server";
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void onlyTheBootstrapStartsTheAdminEndpoint() {
        noClasses().that().resideOutsideOfPackages(ROOT, ROOT + ".admin..", ROOT + ".cli..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".admin..")
                .check(CLASSES);
    }

    @Test
    void keyspaceDependsOnNothingOfTheServer() {
        noClasses().that().resideInAPackage(ROOT + ".keyspace..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".store..", ROOT + ".cluster..",
                        ROOT + ".replication..", ROOT + ".command..", ROOT + ".net..", ROOT + ".protocol..",
                        ROOT + ".config..", ROOT + ".node..")
                .check(CLASSES);
    }

    @Test
    void storageNeverImportsCommandsClusterOrReplication() {
        noClasses().that().resideInAPackage(ROOT + ".store..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".command..", ROOT + ".cluster..",
                        ROOT + ".replication..", ROOT + ".net..", ROOT + ".protocol..", ROOT + ".cli..")
                .check(CLASSES);
    }

    @Test
    void protocolKnowsNothingOfClusterStoreOrCommands() {
        noClasses().that().resideInAPackage(ROOT + ".protocol..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".cluster..", ROOT + ".replication..",
                        ROOT + ".store..", ROOT + ".command..", ROOT + ".net..")
                .check(CLASSES);
    }

    @Test
    void clusterCoreNeverImportsReplicationOrTheRequestPath() {
        noClasses().that().resideInAnyPackage(ROOT + ".cluster", ROOT + ".cluster.wire..", ROOT + ".cluster.net..",
                        ROOT + ".cluster.sim..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".replication..",
                        ROOT + ".cluster.routing..", ROOT + ".command..", ROOT + ".store..")
                .check(CLASSES);
    }

    @Test
    void replicationNeverImportsTheRequestPathOrCommands() {
        noClasses().that().resideInAPackage(ROOT + ".replication..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".cluster.routing..", ROOT + ".command..",
                        ROOT + ".net..", ROOT + ".protocol..")
                .check(CLASSES);
    }

    @Test
    void scriptingSitsOnCommandsAndKnowsNothingOfTheCluster() {
        noClasses().that().resideInAPackage(ROOT + ".scripting..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT + ".cluster..", ROOT + ".replication..",
                        ROOT + ".store..", ROOT + ".net..")
                .check(CLASSES);
        noClasses().that().resideInAnyPackage(ROOT + ".command..", ROOT + ".store..", ROOT + ".replication..",
                        ROOT + ".protocol..", ROOT + ".node..", ROOT + ".config..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".scripting..")
                .check(CLASSES);
    }

    @Test
    void replicationPartsDoNotImportEachOtherInCycles() {
        slices().matching(ROOT + ".replication.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void nothingImportsTheBootstrap() {
        noClasses().that().resideOutsideOfPackages(ROOT, ROOT + ".cli..")
                .should().dependOnClassesThat().resideInAnyPackage(ROOT, ROOT + ".cli..")
                .check(CLASSES);
    }
}
