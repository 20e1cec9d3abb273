/** Wire bodies of the channels ops. (Filled in by its feature.) */
export {};
