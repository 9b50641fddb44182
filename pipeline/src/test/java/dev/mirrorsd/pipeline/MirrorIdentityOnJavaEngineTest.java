package dev.mirrorsd.pipeline;

/** Every random-model Mirror-SD identity test with the target and the draft on the java engine. */
class MirrorIdentityOnJavaEngineTest extends MirrorIdentityOnRandomModelsTest {

    @Override
    String engine() {
        return "java:cpu";
    }
}
