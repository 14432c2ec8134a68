package io.nowcast;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core (tensor, nn, train, model, data, eval) is plain computation: no messaging, metrics,
 * HTTP or servlet libraries and none of the outer Nowcast packages (cli, stream, broker, web,
 * codec, run). Inside the core the layers only point down: tensor &lt; nn &lt; train &lt; model. Outside
 * it: only the commands (cli) use picocli, the runs they call (run) never use the commands, and
 * only the stream package uses its internals (stream.internal).
 *
 * Outside the stream package, nothing uses its internals ({@code io.nowcast.stream.internal}): the
 * commands and the dashboard see the processor's public surface only.
 *
 * <p>The rules are built by functions of the package names so that the same rule, aimed at the
 * test-only package {@code io.nowcast.archfixture}, can be shown to fail on a class that breaks it.
 */
class ArchitectureTest {
    static final String[] CORE = {
        "io.nowcast.tensor..", "io.nowcast.nn..", "io.nowcast.train..", "io.nowcast.model..", "io.nowcast.data..",
        "io.nowcast.eval..",
    };
    static final String[] FORBIDDEN_LIBRARIES = {
        "org.apache.kafka..", "io.micrometer..", "com.sun.net.httpserver..", "jakarta.servlet..", "org.eclipse.jetty..",
    };
    static final String[] OUTER_PACKAGES = {
        "io.nowcast.cli..", "io.nowcast.run..", "io.nowcast.stream..", "io.nowcast.broker..", "io.nowcast.web..",
        "io.nowcast.codec..",
    };
    static final String FIXTURE = "io.nowcast.archfixture..";

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.nowcast");
    }

    static ArchRule noForbiddenLibraries(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage(FORBIDDEN_LIBRARIES)
                .because("the core is plain computation; servers, brokers and metrics live outside it")
                .allowEmptyShould(true);
    }

    static ArchRule noOuterPackages(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage(OUTER_PACKAGES)
                .because("the outer packages use the core, never the other way round")
                .allowEmptyShould(true);
    }

    static ArchRule layer(String packages, String... above) {
        return noClasses().that().resideInAPackage(packages)
                .should().dependOnClassesThat().resideInAnyPackage(above)
                .because("layers only point down: tensor < nn < train < model")
                .allowEmptyShould(true);
    }

    static ArchRule streamInternalsStayInside(String... packages) {
        return noClasses().that().resideInAnyPackage(packages).and().resideOutsideOfPackage("io.nowcast.stream..")
                .should().dependOnClassesThat().resideInAPackage("io.nowcast.stream.internal..")
                .because("the stream package's internals are its own; the rest uses its public surface")
                .allowEmptyShould(true);
    }

    static ArchRule onlyCommandsUsePicocli(String... packages) {
        return noClasses().that().resideInAnyPackage(packages).and().resideOutsideOfPackage("io.nowcast.cli..")
                .should().dependOnClassesThat().resideInAPackage("picocli..")
                .because("the commands parse the command line; the runs they call take plain option records")
                .allowEmptyShould(true);
    }

    static ArchRule runsDoNotUseCommands(String... packages) {
        return noClasses().that().resideInAnyPackage(packages)
                .should().dependOnClassesThat().resideInAPackage("io.nowcast.cli..")
                .because("the training, evaluation, benchmark and demo runs are called by the commands, not the other"
                        + " way round")
                .allowEmptyShould(true);
    }

    @Test
    void theImportSeesTheCoreButNotTheTests() {
        assertTrue(production.contain(io.nowcast.tensor.Gemm.class), "tensor imported");
        assertTrue(production.contain(io.nowcast.model.ModelFiles.class), "model imported");
        assertTrue(production.contain(io.nowcast.cli.Main.class), "cli imported");
        assertTrue(production.stream().noneMatch(c -> c.getPackageName().startsWith("io.nowcast.archfixture")),
                "the test fixture is not part of the production import");
    }

    @Test
    void coreUsesNoServerBrokerOrMetricsLibraries() {
        noForbiddenLibraries(CORE).check(production);
    }

    @Test
    void coreDoesNotDependOnOuterPackages() {
        noOuterPackages(CORE).check(production);
    }

    @Test
    void tensorIsTheBottomLayer() {
        layer("io.nowcast.tensor..", "io.nowcast.nn..", "io.nowcast.train..", "io.nowcast.model..").check(production);
    }

    @Test
    void nnDoesNotReachUp() {
        layer("io.nowcast.nn..", "io.nowcast.train..", "io.nowcast.model..").check(production);
    }

    @Test
    void trainDoesNotReachUp() {
        layer("io.nowcast.train..", "io.nowcast.model..").check(production);
    }

    @Test
    void theProcessorDoesNotDependOnItsHttpEndpoints() {
        // web serves the stream processor's meters and probes; the processor knows only Micrometer
        noClasses().that().resideInAnyPackage("io.nowcast.stream..")
                .should().dependOnClassesThat().resideInAnyPackage("io.nowcast.web..", "io.nowcast.cli..",
                        "com.sun.net.httpserver..")
                .because("the HTTP endpoints and the commands use the processor, not the other way round")
                .check(production);
    }

    @Test
    void onlyTheStreamPackageUsesItsInternals() {
        streamInternalsStayInside("io.nowcast..").check(production);
    }

    @Test
    void onlyTheCommandsUsePicocli() {
        onlyCommandsUsePicocli("io.nowcast..").check(production);
    }

    @Test
    void theRunsDoNotUseTheCommands() {
        runsDoNotUseCommands("io.nowcast.run..").check(production);
    }

    // ------------------------------------------------------------------------------------------
    // the rules can fail: the same rules on a fixture package holding one offending class

    private static JavaClasses fixture() {
        JavaClasses fixture = new ClassFileImporter().importPackages("io.nowcast.archfixture");
        assertTrue(fixture.contain(io.nowcast.archfixture.BadModelUser.class), "fixture imported");
        return fixture;
    }

    private static void assertViolation(ArchRule rule, JavaClasses classes, String target) {
        assertViolation(rule, classes, "BadModelUser", target);
    }

    private static void assertViolation(ArchRule rule, JavaClasses classes, String offender, String target) {
        AssertionError e = assertThrows(AssertionError.class, () -> rule.check(classes));
        assertTrue(e.getMessage().contains(offender) && e.getMessage().contains(target),
                "the violation names " + offender + " and " + target + ":\n" + e.getMessage());
    }

    @Test
    void forbiddenLibraryInACoreClassIsReported() {
        assertViolation(noForbiddenLibraries(FIXTURE), fixture(), "com.sun.net.httpserver.HttpServer");
    }

    @Test
    void outerPackageInACoreClassIsReported() {
        assertViolation(noOuterPackages(FIXTURE), fixture(), "io.nowcast.cli.Main");
    }

    @Test
    void upwardLayerDependencyIsReported() {
        // as if the fixture were tensor: its use of nn.Param points up
        assertViolation(layer(FIXTURE, "io.nowcast.nn..", "io.nowcast.train..", "io.nowcast.model.."), fixture(),
                "io.nowcast.nn.Param");
    }

    @Test
    void picocliOutsideTheCommandsIsReported() {
        assertViolation(onlyCommandsUsePicocli(FIXTURE), fixture(), "BadPicocliUser", "picocli.CommandLine");
    }

    @Test
    void aCommandUsedByARunIsReported() {
        // as if the fixture were a run: its use of cli.Main points up
        assertViolation(runsDoNotUseCommands(FIXTURE), fixture(), "io.nowcast.cli.Main");
    }

    @Test
    void streamInternalOutsideTheStreamPackageIsReported() {
        assertViolation(streamInternalsStayInside(FIXTURE), fixture(), "BadInternalUser",
                "io.nowcast.stream.internal.BatchResult");
    }
}
