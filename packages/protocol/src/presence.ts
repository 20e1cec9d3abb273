/** Wire bodies of the presence ops. (Filled in by its feature.) */
export {};
