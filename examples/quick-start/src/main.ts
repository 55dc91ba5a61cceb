console.log('quick start: coming soon');
