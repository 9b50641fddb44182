package dev.mirrorsd.pipeline;

/** Every random-model identity test with the target and the draft model on the java engine. */
class SpeculativeIdentityOnJavaEngineTest extends SpeculativeIdentityOnRandomModelsTest {

    @Override
    String engine() {
        return "java:cpu";
    }
}
