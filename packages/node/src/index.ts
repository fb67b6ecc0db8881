export const PACKAGE = "@qos/node";
