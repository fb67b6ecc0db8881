export const PACKAGE = "@qos/consensus";
