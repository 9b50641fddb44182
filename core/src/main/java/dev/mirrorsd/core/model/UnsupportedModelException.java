package dev.mirrorsd.core.model;

/** A model file is readable but asks for something the core does not run (architecture, tensor type). */
public class UnsupportedModelException extends ModelFormatException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
