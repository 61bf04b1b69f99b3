// An old module nothing imports any more: editing it runs nothing.
export const legacy = true;
