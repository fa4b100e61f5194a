// Vite bundles the CSS a module imports; the type checker only needs to know such imports exist.
declare module "*.css";
