/** This package's version. */
export const CONDITIONS_VERSION = '0.1.0';
