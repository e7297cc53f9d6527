public enum GenPlaceholder {}
